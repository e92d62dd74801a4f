"""Settings of the alerts service."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from firesafe_kit.settings import KitSettings, service_database_url


class AlertsSettings(KitSettings):
    service_name: ClassVar[str] = "alerts"
    database_url: str = service_database_url("alerts")

    # Escalation and scheduled notices: how often the scheduler looks (any replica may).
    scheduler_interval_seconds: float = Field(
        default=15.0, gt=0, validation_alias="ALERTS_SCHEDULER_INTERVAL_SECONDS"
    )
    # Webhook deliveries.
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, validation_alias="ALERTS_WEBHOOK_POLL_SECONDS"
    )
    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, validation_alias="ALERTS_WEBHOOK_TIMEOUT_SECONDS"
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, le=50, validation_alias="ALERTS_WEBHOOK_MAX_ATTEMPTS"
    )
    webhook_backoff_base_seconds: float = Field(
        default=10.0, gt=0, validation_alias="ALERTS_WEBHOOK_BACKOFF_BASE_SECONDS"
    )
    webhook_backoff_max_seconds: float = Field(
        default=3600.0, gt=0, validation_alias="ALERTS_WEBHOOK_BACKOFF_MAX_SECONDS"
    )
    # Failed attempts in a row (any delivery) after which a subscription is disabled.
    webhook_disable_after: int = Field(
        default=20, ge=1, validation_alias="ALERTS_WEBHOOK_DISABLE_AFTER"
    )
    # Private and loopback targets: refused in prod whatever this says; allowed in dev.
    webhook_allow_private_targets: bool = Field(
        default=True, validation_alias="ALERTS_WEBHOOK_ALLOW_PRIVATE_TARGETS"
    )

    @property
    def private_webhook_targets_allowed(self) -> bool:
        return self.env != "prod" and self.webhook_allow_private_targets
