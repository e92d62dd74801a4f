from alerts.config import AlertsSettings
from alerts.main import SERVICE_DIR, create_app
from firesafe_kit.cli import run_service_cli

run_service_cli(settings_factory=AlertsSettings, app_factory=create_app, service_dir=SERVICE_DIR)
