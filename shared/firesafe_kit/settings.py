"""Settings every service shares, read from the environment (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The development secret is public on purpose: `prod` refuses to start with it.
DEV_JWT_SECRET = "firesafe-dev-secret-change-me-0123456789abcdef"
DEFAULT_DATA_DIR = Path(".data")


def service_database_url(service: str) -> Any:
    """`<SERVICE>_DATABASE_URL` first, then `DATABASE_URL`: one process in embedded mode hosts
    every service, and each still needs a database of its own."""
    prefix = service.upper().replace("-", "_")
    return Field(
        default="", validation_alias=AliasChoices(f"{prefix}_DATABASE_URL", "DATABASE_URL")
    )


class KitSettings(BaseSettings):
    """Base settings; each service subclasses it, sets `service_name` and declares
    `database_url = service_database_url("<name>")`."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = "service"
    host: str = Field(default="127.0.0.1", validation_alias="FIRESAFE_HOST")
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="FIRESAFE_PORT")
    env: Literal["dev", "prod"] = Field(default="dev", validation_alias="FIRESAFE_ENV")
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, validation_alias="FIRESAFE_DATA_DIR")
    kafka_bootstrap_servers: str = Field(default="", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    # Prefix for topic names; lets tests and staging share one broker without collisions.
    topic_prefix: str = Field(default="", validation_alias="FIRESAFE_TOPIC_PREFIX")
    jwt_secret: str = Field(default=DEV_JWT_SECRET, validation_alias="FIRESAFE_JWT_SECRET")
    jwks_url: str = Field(default="", validation_alias="FIRESAFE_JWKS_URL")
    jwks_cache_seconds: int = Field(
        default=300, ge=10, validation_alias="FIRESAFE_JWKS_CACHE_SECONDS"
    )
    jwt_issuer: str = Field(default="firesafe", validation_alias="FIRESAFE_JWT_ISSUER")
    jwt_audience: str = Field(default="firesafe-api", validation_alias="FIRESAFE_JWT_AUDIENCE")
    jwt_leeway_seconds: int = Field(
        default=30, ge=0, validation_alias="FIRESAFE_JWT_LEEWAY_SECONDS"
    )
    timezone: str = Field(default="Asia/Shanghai", validation_alias="FIRESAFE_TIMEZONE")
    log_level: str = Field(default="INFO", validation_alias="FIRESAFE_LOG_LEVEL")
    log_json: bool = Field(default=True, validation_alias="FIRESAFE_LOG_JSON")
    migrate_on_start: bool = Field(default=True, validation_alias="FIRESAFE_MIGRATE_ON_START")
    relay_batch_size: int = Field(
        default=200, ge=1, le=5000, validation_alias="FIRESAFE_RELAY_BATCH"
    )
    relay_idle_seconds: float = Field(
        default=0.5, gt=0, validation_alias="FIRESAFE_RELAY_IDLE_SECONDS"
    )
    consumer_max_retries: int = Field(default=3, ge=0, validation_alias="FIRESAFE_CONSUMER_RETRIES")
    consumer_retry_base_seconds: float = Field(
        default=0.2, ge=0, validation_alias="FIRESAFE_CONSUMER_RETRY_BASE_SECONDS"
    )
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, validation_alias="FIRESAFE_MAX_BODY"
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)  # fail at start, not at the first shift
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _defaults_and_production_guard(self) -> KitSettings:
        if not self.database_url:
            path = (self.data_dir / f"{self.service_name}.sqlite").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        if self.env == "prod":
            if self.jwt_secret == DEV_JWT_SECRET and not self.jwks_url:
                raise ValueError("FIRESAFE_ENV=prod refuses the default FIRESAFE_JWT_SECRET")
            if self.jwt_secret != DEV_JWT_SECRET and len(self.jwt_secret) < 32:
                raise ValueError("FIRESAFE_JWT_SECRET must be at least 32 characters in prod")
            if self.is_sqlite:
                raise ValueError("FIRESAFE_ENV=prod refuses SQLite; set DATABASE_URL to PostgreSQL")
            if not self.kafka_bootstrap_servers:
                raise ValueError("FIRESAFE_ENV=prod needs KAFKA_BOOTSTRAP_SERVERS")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_kafka(self) -> bool:
        return bool(self.kafka_bootstrap_servers.strip())

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"
