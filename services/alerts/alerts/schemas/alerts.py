"""Shapes of alerts as the API shows them and as their events carry them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from firesafe_kit.crud.spec import ListQuery

Severity = Literal["info", "warning", "critical"]
Status = Literal["open", "acknowledged", "resolved"]
Level = Literal["community", "street", "district"]
LEVELS: tuple[Level, ...] = ("community", "street", "district")


class Note(BaseModel):
    at: datetime
    by: str
    text: str


class AlertEvent(BaseModel):
    """An alert in events and webhooks: ids and states only, no notes or people."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str = Field(examples=["missing_fire_pact"])
    severity: Severity
    status: Status
    dedup_key: str = Field(description="one unresolved alert per key; repeats raise `count`")
    count: int
    community_id: str
    street_id: str | None
    district_id: str | None
    subject_type: str = Field(examples=["community", "compound", "key_resident"])
    subject_id: str
    title: str
    detail: str
    source_event_ids: list[str] = Field(description="the events that raised or repeated it")
    escalation_level: Level
    level_since: datetime
    raised_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution: Literal["auto", "manual"] | None
    version: int


class AlertRead(AlertEvent):
    """An alert as users see it: with who handles it and what they noted."""

    assignee: str | None
    acknowledged_by: str | None
    resolved_by: str | None
    notes: list[Note]
    created_at: datetime
    updated_at: datetime


class AlertFilters(ListQuery):
    status: Status | None = None
    kind: str | None = Field(default=None, max_length=40)
    severity: Severity | None = None
    community_id: str | None = Field(default=None, max_length=36)
    street_id: str | None = Field(default=None, max_length=36)
    district_id: str | None = Field(default=None, max_length=36)
    escalation_level: Level | None = None
    inbox: bool = Field(
        default=False,
        description=(
            "only alerts waiting at the caller's own level: community staff see those at "
            "community level, street officers those escalated to their street, district "
            "officers those escalated to their district"
        ),
    )


class AcknowledgeBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    assignee: str | None = Field(default=None, min_length=1, max_length=200)
    note: str | None = Field(default=None, min_length=1, max_length=2000)


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str | None = Field(default=None, min_length=1, max_length=2000)
