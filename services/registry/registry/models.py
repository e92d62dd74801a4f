"""The registry's tables. Nested shapes that are always read whole (people, a pact, device
lists) are JSON columns; everything that is filtered or joined on is a column of its own."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from firesafe_kit.crud.records import Record, new_id
from firesafe_kit.db import UTCDateTime

mapper_registry = registry()
metadata = mapper_registry.metadata


class RegistryRecord(Record, registry=mapper_registry):
    """Versioned, soft-deletable tables of the registry."""


def live_unique_code(table: str) -> Index:
    """Administrative codes are unique among live records; deleting one frees its code."""
    live = text("deleted_at IS NULL")
    return Index(
        f"uq_{table}_code_live", "code", unique=True, postgresql_where=live, sqlite_where=live
    )


class District(RegistryRecord, table=True):
    __tablename__ = "districts"
    __table_args__ = (live_unique_code("districts"),)
    code: str = Field(max_length=6, index=True)
    name: str = Field(max_length=100)


class Street(RegistryRecord, table=True):
    __tablename__ = "streets"
    __table_args__ = (live_unique_code("streets"),)
    district_id: str = Field(foreign_key="districts.id", index=True, max_length=36)
    code: str = Field(max_length=9, index=True)
    name: str = Field(max_length=100)
    kind: str = Field(default="street", max_length=10)  # street office 街道 or town 镇


class Community(RegistryRecord, table=True):
    __tablename__ = "communities"
    __table_args__ = (live_unique_code("communities"),)
    street_id: str = Field(foreign_key="streets.id", index=True, max_length=36)
    district_id: str = Field(foreign_key="districts.id", index=True, max_length=36)
    code: str = Field(max_length=12, index=True)
    name: str = Field(max_length=100)
    responsible_person: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    safety_managers: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    fire_pact: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    emergency_plan: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class Grid(RegistryRecord, table=True):
    __tablename__ = "grids"
    community_id: str = Field(foreign_key="communities.id", index=True, max_length=36)
    name: str = Field(max_length=100)
    workers: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class Compound(RegistryRecord, table=True):
    __tablename__ = "compounds"
    community_id: str = Field(foreign_key="communities.id", index=True, max_length=36)
    grid_id: str | None = Field(default=None, foreign_key="grids.id", max_length=36)
    name: str = Field(max_length=100)
    address: str = Field(max_length=200)
    has_property_service: bool
    property_company: str | None = Field(default=None, max_length=100)
    has_fixed_facilities: bool
    is_old: bool
    households: int = Field(ge=0)


class Building(RegistryRecord, table=True):
    __tablename__ = "buildings"
    compound_id: str = Field(foreign_key="compounds.id", index=True, max_length=36)
    community_id: str = Field(foreign_key="communities.id", index=True, max_length=36)
    name: str = Field(max_length=50)
    floors: int
    height_m: float | None = None
    households: int


class Premise(RegistryRecord, table=True):
    __tablename__ = "premises"
    community_id: str = Field(foreign_key="communities.id", index=True, max_length=36)
    compound_id: str | None = Field(default=None, foreign_key="compounds.id", max_length=36)
    kind: str = Field(max_length=20, index=True)
    name: str = Field(max_length=100)
    address: str = Field(max_length=200)
    operator: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    notes: str | None = Field(default=None, max_length=1000)


class Station(RegistryRecord, table=True):
    __tablename__ = "stations"
    community_id: str = Field(foreign_key="communities.id", index=True, max_length=36)
    name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    compound_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    equipment: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class StationMember(RegistryRecord, table=True):
    __tablename__ = "station_members"
    station_id: str = Field(foreign_key="stations.id", index=True, max_length=36)
    community_id: str = Field(foreign_key="communities.id", index=True, max_length=36)
    name: str = Field(max_length=50)
    phone: str = Field(max_length=30)
    role: str = Field(max_length=10)
    employment: str = Field(max_length=10)
    trained_on: date | None = None


class Facility(RegistryRecord, table=True):
    __tablename__ = "facilities"
    community_id: str = Field(foreign_key="communities.id", index=True, max_length=36)
    compound_id: str = Field(foreign_key="compounds.id", index=True, max_length=36)
    building_id: str | None = Field(default=None, foreign_key="buildings.id", max_length=36)
    kind: str = Field(max_length=30, index=True)
    status: str = Field(max_length=20)
    maintained_by: dict[str, Any] = Field(sa_type=JSON)
    testing_agency: str | None = Field(default=None, max_length=100)
    last_tested_on: date | None = None
    next_test_due: date | None = Field(default=None, index=True)


class KeyResident(RegistryRecord, table=True):
    __tablename__ = "key_residents"
    community_id: str = Field(foreign_key="communities.id", index=True, max_length=36)
    building_id: str | None = Field(default=None, foreign_key="buildings.id", max_length=36)
    category: str = Field(max_length=20, index=True)
    name: str = Field(max_length=50)
    phone: str | None = Field(default=None, max_length=30)
    id_number: str | None = Field(default=None, max_length=18)
    address: str = Field(max_length=200)
    contact_person: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    devices: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class _LogBase(SQLModel, registry=mapper_registry):
    """Append-only tables of this service (no version, no soft delete)."""


class PiiAccess(_LogBase, table=True):
    """One row per unmasked read of a key resident's personal data (append-only)."""

    __tablename__ = "pii_access_log"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_sub: str = Field(max_length=200, index=True)
    actor_name: str | None = Field(default=None, max_length=200)
    actor_roles: list[str] = Field(default_factory=list, sa_type=JSON)
    resource: str = Field(max_length=50)
    resource_id: str = Field(max_length=36, index=True)
    community_id: str = Field(max_length=36, index=True)
    request_id: str | None = Field(default=None, max_length=128)
