"""Settings of the inspection service."""

from __future__ import annotations

from typing import ClassVar

from firesafe_kit.settings import KitSettings, service_database_url


class InspectionSettings(KitSettings):
    service_name: ClassVar[str] = "inspection"
    database_url: str = service_database_url("inspection")
