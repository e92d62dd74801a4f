"""Settings of the alerts service."""

from __future__ import annotations

from typing import ClassVar

from firesafe_kit.settings import KitSettings, service_database_url


class AlertsSettings(KitSettings):
    service_name: ClassVar[str] = "alerts"
    database_url: str = service_database_url("alerts")
