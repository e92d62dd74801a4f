from firesafe_kit.cli import run_service_cli
from registry.config import RegistrySettings
from registry.main import SERVICE_DIR, create_app

run_service_cli(settings_factory=RegistrySettings, app_factory=create_app, service_dir=SERVICE_DIR)
