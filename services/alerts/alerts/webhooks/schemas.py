"""Subscriptions and deliveries as the API takes and shows them. The secret is write-only: it
is in no read shape, so no response can carry it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from alerts.events.published import EVENT_TYPES
from alerts.webhooks.targets import MAX_URL_LENGTH, url_problem
from firesafe_kit.auth.actor import Scope
from firesafe_kit.crud.spec import ListQuery

SubscriptionStatus = Literal["active", "disabled"]
DeliveryStatus = Literal["pending", "succeeded", "failed"]
SCOPE_KINDS = ("city", "district", "street", "community")
# Taken exactly as given (no stripping): the receiver verifies with the same bytes.
SecretText = Annotated[
    str,
    StringConstraints(strip_whitespace=False, min_length=16, max_length=200),
    Field(description="signs every delivery (HMAC-SHA256); write-only, never shown again"),
]


class SubscriptionFields(BaseModel):
    """What a PATCH may change, besides `secret` and `status`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(
        max_length=MAX_URL_LENGTH,
        description="http or https; in prod it must resolve to public addresses only",
        examples=["https://example.org/hooks/firesafe"],
    )
    event_types: list[str] = Field(
        min_length=1,
        max_length=len(EVENT_TYPES),
        description=f"one or more of {', '.join(sorted(EVENT_TYPES))}",
        examples=[["firesafe.alerts.alert.raised", "firesafe.alerts.alert.escalated"]],
    )
    jurisdiction: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="only events of these parts of the tree (`city`, `district:<id>`, "
        "`street:<id>`, `community:<id>`); absent or null: every event",
        examples=[["district:6b0d1c9e-3f0a-4c65-a2f3-1d2e3f4a5b6c"]],
    )
    description: str | None = Field(default=None, min_length=1, max_length=500)

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        problem = url_problem(value)
        if problem is not None:
            raise ValueError(f"url {problem}")
        return value

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown event types: {', '.join(unknown)}")
        if len(set(value)) != len(value):
            raise ValueError("event types must not repeat")
        return value

    @field_validator("jurisdiction")
    @classmethod
    def _valid_scopes(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        scopes: list[str] = []
        for item in value:
            try:
                scope = Scope.parse(item)
            except ValueError as exc:
                raise ValueError(
                    "each scope must be city or <district|street|community>:<id>"
                ) from exc
            if scope.kind not in SCOPE_KINDS:
                raise ValueError("each scope must be city or <district|street|community>:<id>")
            scopes.append(str(scope))
        if len(set(scopes)) != len(scopes):
            raise ValueError("scopes must not repeat")
        return scopes


class SubscriptionCreate(SubscriptionFields):
    secret: SecretText


class SubscriptionUpdate(SubscriptionFields):
    """The document a merge patch produces: the current fields with the patch applied. The
    secret is absent unless the patch replaces it."""

    secret: SecretText | None = None
    status: SubscriptionStatus


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    event_types: list[str]
    jurisdiction: list[str] | None
    description: str | None
    status: SubscriptionStatus
    disabled_reason: str | None = Field(description="why it was disabled, while it is")
    disabled_at: datetime | None
    consecutive_failures: int = Field(description="failed attempts since the last success")
    has_secret: Literal[True] = Field(default=True, description="the secret itself is not shown")
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class SubscriptionFilters(ListQuery):
    status: SubscriptionStatus | None = None


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    at: datetime
    status_code: int | None = Field(description="the receiver's answer; null when none came")
    error: str | None = Field(examples=["HTTP 500", "timed out after 5s"])
    duration_ms: float | None
    request_headers: dict[str, str] = Field(description="what was sent, signature included")


class DeliveryRead(BaseModel):
    id: str
    subscription_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None = Field(description="while pending")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[AttemptRead] = Field(description="oldest first")


class DeliveryFilters(ListQuery):
    status: DeliveryStatus | None = None
