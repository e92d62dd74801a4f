"""Settings of the duty-roster service."""

from __future__ import annotations

from typing import ClassVar

from firesafe_kit.settings import KitSettings, service_database_url


class DutyRosterSettings(KitSettings):
    service_name: ClassVar[str] = "duty-roster"
    database_url: str = service_database_url("duty-roster")
