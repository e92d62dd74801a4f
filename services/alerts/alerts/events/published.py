"""The events the alerts service promises on firesafe.alerts.v1, one payload model per type."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from alerts.schemas.alerts import AlertEvent
from firesafe_kit.events.catalog import Catalog, EventSpec

TOPIC = "firesafe.alerts.v1"
NOTICE_KEY = "the notice id (a notice spans many communities)"


class NoticePublished(BaseModel):
    id: str
    title: str
    body: str
    scope: str = Field(examples=["street:2f1c…", "city"])
    topic: str | None = Field(default=None, examples=["heating_season"])
    published_at: datetime
    community_ids: list[str] = Field(description="the communities that received it")


class AlertEscalated(AlertEvent):
    from_level: str = Field(examples=["community"])


CATALOG = Catalog(
    service="alerts",
    topic=TOPIC,
    events=[
        EventSpec("firesafe.alerts.alert.raised", AlertEvent, "An alert was raised"),
        EventSpec(
            "firesafe.alerts.alert.acknowledged", AlertEvent, "Someone took charge of an alert"
        ),
        EventSpec(
            "firesafe.alerts.alert.escalated",
            AlertEscalated,
            "An alert stayed unacknowledged too long and climbed a level of the tree",
        ),
        EventSpec(
            "firesafe.alerts.alert.resolved",
            AlertEvent,
            "An alert was resolved, by hand or because its fact is gone",
        ),
        EventSpec(
            "firesafe.alerts.notice.published",
            NoticePublished,
            "A notice reached the communities of its scope",
            key=NOTICE_KEY,
        ),
    ],
)
EVENT_TYPES: frozenset[str] = frozenset(spec.type for spec in CATALOG.events)
