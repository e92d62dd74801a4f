"""The alerts service's own metadata: its tables never mix with another service's."""

from __future__ import annotations

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from firesafe_kit.crud.records import Record

mapper_registry = registry()
metadata = mapper_registry.metadata


class AlertsRecord(Record, registry=mapper_registry):
    """Versioned tables of the alerts service (id, version, timestamps)."""


class AlertsTable(SQLModel, registry=mapper_registry):
    """Plain tables of the alerts service (their own keys, no soft delete).

    SQLModel binds a table to a registry only through a base class declared with it."""
