from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from firesafe_kit.settings import DEV_JWT_SECRET, KitSettings, service_database_url

PG = "postgresql+asyncpg://u:p@127.0.0.1/db"
STRONG = "s" * 40


class DemoSettings(KitSettings):
    service_name = "demo-svc"  # type: ignore[assignment]
    database_url: str = service_database_url("demo-svc")


def test_dev_defaults_to_sqlite_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("FIRESAFE_DATA_DIR", str(tmp_path))
    settings = DemoSettings()
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/demo-svc.sqlite"
    assert settings.is_sqlite and not settings.uses_kafka
    assert settings.timezone == "Asia/Shanghai" and settings.jwt_audience == "firesafe-api"


def test_service_specific_database_url_wins_over_the_shared_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://shared/db")
    monkeypatch.setenv("DEMO_SVC_DATABASE_URL", PG)
    assert DemoSettings().database_url == PG


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": PG, "KAFKA_BOOTSTRAP_SERVERS": "k:9092"}, "default FIRESAFE_JWT_SECRET"),
        ({"FIRESAFE_JWT_SECRET": STRONG, "KAFKA_BOOTSTRAP_SERVERS": "k:9092"}, "refuses SQLite"),
        (
            {"FIRESAFE_JWT_SECRET": "short", "DATABASE_URL": PG, "KAFKA_BOOTSTRAP_SERVERS": "k"},
            "at least 32",
        ),
        ({"FIRESAFE_JWT_SECRET": STRONG, "DATABASE_URL": PG}, "KAFKA_BOOTSTRAP_SERVERS"),
    ],
)
def test_prod_refuses_unsafe_configuration(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "DATABASE_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "FIRESAFE_JWT_SECRET",
        "DEMO_SVC_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FIRESAFE_ENV", "prod")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        DemoSettings()


def test_prod_starts_with_real_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESAFE_ENV", "prod")
    monkeypatch.setenv("FIRESAFE_JWT_SECRET", STRONG)
    monkeypatch.setenv("DEMO_SVC_DATABASE_URL", PG)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k:9092")
    settings = DemoSettings()
    assert settings.env == "prod" and settings.jwt_secret != DEV_JWT_SECRET


def test_unknown_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESAFE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError):
        DemoSettings()
