"""Notices: a broadcast to every community in a part of the tree."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from firesafe_kit.auth.actor import Scope
from firesafe_kit.crud.spec import ListQuery

# Seasonal warnings the plan names (针对季节特点的提示宣传), and anything else.
Topic = Literal[
    "heating_season", "spring_festival", "summer_power_peak", "fire_prevention_month", "other"
]
NoticeStatus = Literal["scheduled", "published", "cancelled"]
SCOPE_KINDS = ("district", "street", "community")


class NoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200, examples=["供暖季消防安全提示"])
    body: str = Field(min_length=1, max_length=5000)
    scope: str = Field(
        max_length=60,
        description="`city`, `district:<id>`, `street:<id>` or `community:<id>`",
        examples=["street:2f1c7a52-8d7e-4c1a-9f55-0d3c8f1e2b61"],
    )
    topic: Topic | None = None
    publish_at: AwareDatetime | None = Field(
        default=None, description="when to send it (RFC 3339 with offset); absent: now"
    )

    @field_validator("scope")
    @classmethod
    def _known_scope(cls, value: str) -> str:
        if value == "city":
            return value
        try:
            scope = Scope.parse(value)
        except ValueError as exc:
            raise ValueError("must be city or <district|street|community>:<id>") from exc
        if scope.kind not in SCOPE_KINDS:
            raise ValueError("must be city or <district|street|community>:<id>")
        return str(scope)


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    body: str
    scope: str
    topic: Topic | None
    publish_at: datetime | None
    status: NoticeStatus
    published_at: datetime | None
    community_count: int | None = Field(description="communities it reached, once published")
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class NoticeFilters(ListQuery):
    status: NoticeStatus | None = None
    topic: Topic | None = None
    scope: str | None = Field(default=None, max_length=60)
