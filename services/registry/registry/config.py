"""Settings of the registry service."""

from __future__ import annotations

from typing import ClassVar

from firesafe_kit.settings import KitSettings, service_database_url


class RegistrySettings(KitSettings):
    service_name: ClassVar[str] = "registry"
    database_url: str = service_database_url("registry")
