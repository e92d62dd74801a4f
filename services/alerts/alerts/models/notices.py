"""Broadcasts to a part of the tree (seasonal warnings and the like)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from alerts.models.base import AlertsRecord
from firesafe_kit.db import UTCDateTime


class Notice(AlertsRecord, table=True):
    __tablename__ = "notices"

    title: str = Field(max_length=200)
    body: str = Field(max_length=5000)
    scope: str = Field(max_length=60, index=True)  # "city" | "<kind>:<id>"
    # The scope's node and the street and district it lies in (itself included), so that
    # who may see a notice is one WHERE clause.
    scope_id: str | None = Field(default=None, max_length=36, index=True)
    street_id: str | None = Field(default=None, max_length=36, index=True)
    district_id: str | None = Field(default=None, max_length=36, index=True)
    topic: str | None = Field(default=None, max_length=40)
    publish_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="scheduled", max_length=12, index=True)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    community_count: int | None = None
    created_by: str = Field(max_length=200)
