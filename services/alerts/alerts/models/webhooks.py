"""Webhook subscriptions and their deliveries. Deliveries are rows, not tasks in memory, so a
restart resumes them; every attempt is kept with its outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field

from alerts.models.base import AlertsRecord, AlertsTable
from firesafe_kit.clock import utcnow
from firesafe_kit.crud.records import new_id
from firesafe_kit.db import UTCDateTime


class Subscription(AlertsRecord, table=True):
    __tablename__ = "subscriptions"

    url: str = Field(max_length=2000)
    # Needed in clear to sign deliveries; never returned by the API (write-only).
    secret: str = Field(max_length=200)
    event_types: list[str] = Field(default_factory=list, sa_type=JSON)
    jurisdiction: list[str] | None = Field(default=None, sa_type=JSON)  # scopes; None: all
    description: str | None = Field(default=None, max_length=500)
    status: str = Field(default="active", max_length=10, index=True)  # active | disabled
    disabled_reason: str | None = Field(default=None, max_length=500)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consecutive_failures: int = Field(default=0, ge=0)
    created_by: str = Field(max_length=200)


class Delivery(AlertsTable, table=True):
    """One event for one subscription, until it succeeds or is given up."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_deliveries_event"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(max_length=36, index=True)
    event_id: str = Field(max_length=100)
    event_type: str = Field(max_length=200)
    body: str = Field(sa_type=Text)  # the exact bytes that are signed and sent
    status: str = Field(default="pending", max_length=12)  # pending|succeeded|failed
    attempts: int = Field(default=0, ge=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryAttempt(AlertsTable, table=True):
    __tablename__ = "delivery_attempts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    delivery_id: str = Field(max_length=36, index=True)
    subscription_id: str = Field(max_length=36, index=True)
    number: int = Field(ge=1)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=1000)
    duration_ms: float | None = None
    # Headers sent, signature included: lets a receiver's operator check what arrived.
    request_headers: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
