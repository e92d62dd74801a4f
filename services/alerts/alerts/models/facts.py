"""What the rules know of the world: the last state of each entity other services reported.

One generic table rather than one per entity: a fact is (kind, id) with its community and the
few fields the rules read. Adding a rule over a new entity adds a fact source, not a table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field

from alerts.models.base import AlertsTable
from firesafe_kit.clock import utcnow
from firesafe_kit.db import UTCDateTime


class Fact(AlertsTable, table=True):
    __tablename__ = "facts"
    __table_args__ = (Index("ix_facts_kind_community", "kind", "community_id"),)

    kind: str = Field(primary_key=True, max_length=40)
    id: str = Field(primary_key=True, max_length=36)
    community_id: str = Field(max_length=36)
    # The source record's version: an older event (a replay) never overwrites a newer state.
    version: int | None = None
    deleted: bool = False
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    event_id: str = Field(max_length=100)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
