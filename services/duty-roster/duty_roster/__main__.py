from duty_roster.config import DutyRosterSettings
from duty_roster.main import SERVICE_DIR, create_app
from firesafe_kit.cli import run_service_cli

run_service_cli(
    settings_factory=DutyRosterSettings, app_factory=create_app, service_dir=SERVICE_DIR
)
