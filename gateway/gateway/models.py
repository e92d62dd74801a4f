"""The gateway's own tables (its database, its migration history): API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy.orm import registry
from sqlmodel import Field

from firesafe_kit.crud.records import Record
from firesafe_kit.db import UTCDateTime

mapper_registry = registry()
metadata = mapper_registry.metadata


class GatewayRecord(Record, registry=mapper_registry):
    """Versioned records of the gateway's own database."""


class ApiKey(GatewayRecord, table=True):
    """A third party's key. Only the SHA-256 of the key is kept: the key itself is shown once,
    at creation, and cannot be read back."""

    __tablename__ = "api_keys"
    name: str = Field(max_length=100)
    key_hash: str = Field(max_length=64, unique=True)  # hex SHA-256 of the whole key
    key_prefix: str = Field(max_length=16)  # its first characters, to tell keys apart in lists
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    jurisdiction: list[str] = Field(default_factory=list, sa_type=JSON)
    rate_limit_per_minute: int = Field(ge=1)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=200)
