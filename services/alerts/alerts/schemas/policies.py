"""Escalation policies: per severity, how long an alert may wait unacknowledged at a level."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from alerts.schemas.alerts import Severity

MINUTES_A_YEAR = 525_600
Minutes = int | None


class PolicyFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    community_minutes: Minutes = Field(
        default=None,
        ge=1,
        le=MINUTES_A_YEAR,
        description="minutes unacknowledged at community level before it goes to the street; "
        "null: it stays",
    )
    street_minutes: Minutes = Field(
        default=None,
        ge=1,
        le=MINUTES_A_YEAR,
        description="minutes unacknowledged at street level before it goes to the district; "
        "null: it stays",
    )


class PolicyRead(PolicyFields):
    model_config = ConfigDict(from_attributes=True)

    severity: Severity
    version: int
    updated_at: datetime
    updated_by: str | None
