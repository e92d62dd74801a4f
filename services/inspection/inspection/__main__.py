from firesafe_kit.cli import run_service_cli
from inspection.config import InspectionSettings
from inspection.main import SERVICE_DIR, create_app

run_service_cli(
    settings_factory=InspectionSettings, app_factory=create_app, service_dir=SERVICE_DIR
)
