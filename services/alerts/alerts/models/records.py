"""Alerts and the escalation policies that move them up the tree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field

from alerts.models.base import AlertsRecord, AlertsTable
from firesafe_kit.clock import utcnow
from firesafe_kit.db import UTCDateTime


class Alert(AlertsRecord, table=True):
    __tablename__ = "alerts"
    __table_args__ = (
        # What the escalation scheduler scans: open alerts by level and age.
        Index("ix_alerts_escalation", "status", "severity", "escalation_level", "level_since"),
        Index("ix_alerts_community_kind", "community_id", "kind", "status"),
    )

    kind: str = Field(max_length=40, index=True)
    severity: str = Field(max_length=10)
    status: str = Field(default="open", max_length=12, index=True)
    dedup_key: str = Field(max_length=200, index=True)
    # = dedup_key while the alert is not resolved, NULL after: the unique index keeps one
    # unresolved alert per key on both engines (NULLs never collide).
    open_key: str | None = Field(default=None, max_length=200, unique=True)
    count: int = Field(default=1, ge=1)
    community_id: str = Field(max_length=36)
    street_id: str | None = Field(default=None, max_length=36, index=True)
    district_id: str | None = Field(default=None, max_length=36, index=True)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=36)
    title: str = Field(max_length=200)
    detail: str = Field(default="", max_length=2000)
    source_event_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    escalation_level: str = Field(default="community", max_length=10)
    level_since: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    assignee: str | None = Field(default=None, max_length=200)
    notes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=200)
    resolution: str | None = Field(default=None, max_length=10)  # "auto" | "manual"


class EscalationPolicy(AlertsTable, table=True):
    """Per severity: minutes an alert may stay unacknowledged at a level before it climbs
    (NULL: it stays there)."""

    __tablename__ = "escalation_policies"

    severity: str = Field(primary_key=True, max_length=10)
    community_minutes: int | None = Field(default=None, ge=1)
    street_minutes: int | None = Field(default=None, ge=1)
    version: int = Field(default=1, ge=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str | None = Field(default=None, max_length=200)
