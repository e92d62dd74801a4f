from firesafe_kit.cli import run_service_cli
from gateway.config import GatewaySettings
from gateway.database import GATEWAY_DIR
from gateway.main import create_app

run_service_cli(settings_factory=GatewaySettings, app_factory=create_app, service_dir=GATEWAY_DIR)
