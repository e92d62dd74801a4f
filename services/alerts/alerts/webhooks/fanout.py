"""Which subscriptions an event owes a delivery to, written in the publisher's transaction: a
delivery exists exactly when its event does, and survives any restart as a row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts.models import Delivery, Subscription
from firesafe_kit import jsonutil
from firesafe_kit.auth.jurisdiction import ancestors
from firesafe_kit.events.envelope import CONTENT_TYPE, SPEC_VERSION, CloudEvent


def event_body(event: CloudEvent) -> str:
    """The event as a CloudEvents JSON document (structured mode). Serialised once, so every
    retry sends, and signs, the same bytes."""
    document = {
        "specversion": SPEC_VERSION,
        "id": event.id,
        "type": event.type,
        "source": event.source,
        "subject": event.subject,
        "time": event.time.isoformat(),
        "datacontenttype": CONTENT_TYPE,
        "data": event.data,
    }
    return jsonutil.dumps(document, compact=True)


async def covering_scopes(
    session: AsyncSession,
    community_id: str | None,
    street_id: str | None = None,
    district_id: str | None = None,
) -> set[str]:
    """The scope strings a subscription may list to receive an event of this place: the
    community and every node above it, and the city. The street and district the publisher
    knows count even when the local tree lags behind the registry's events."""
    scopes = {"city"}
    if street_id:
        scopes.add(f"street:{street_id}")
    if district_id:
        scopes.add(f"district:{district_id}")
    if community_id is not None:
        scopes.add(f"community:{community_id}")
        scopes.update(str(scope) for scope in await ancestors(session, community_id))
    return scopes


_CACHE_KEY = "alerts.active_subscriptions"
Row = tuple[str, Sequence[str], Sequence[str] | None]


async def _active(session: AsyncSession) -> list[Row]:
    """Active subscriptions (id, event types, jurisdiction), read once per transaction: a
    consumer's batch publishes many events in one transaction and sees the same list."""
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_CACHE_KEY)
    if cached is not None and cached[0] is transaction:
        rows: list[Row] = cached[1]
        return rows
    statement = select(Subscription.id, Subscription.event_types, Subscription.jurisdiction).where(
        Subscription.status == "active", col(Subscription.deleted_at).is_(None)
    )
    rows = [(row[0], row[1], row[2]) for row in await session.exec(statement)]
    session.info[_CACHE_KEY] = (transaction, rows)
    return rows


async def enqueue_deliveries(
    session: AsyncSession,
    event: CloudEvent,
    *,
    community_id: str | None,
    now: datetime,
    street_id: str | None = None,
    district_id: str | None = None,
) -> int:
    """One pending delivery per active subscription that wants this event; how many."""
    # JSON containment is spelled differently on each engine; the list is small, so the
    # event type is matched here. No subscriptions: one query per transaction is the cost.
    wanting = [row for row in await _active(session) if event.type in (row[1] or [])]
    if not wanting:
        return 0
    scoped = [row for row in wanting if row[2] is not None]
    covering = (
        await covering_scopes(session, community_id, street_id, district_id) if scoped else set()
    )
    owed = [row[0] for row in wanting if row[2] is None or covering.intersection(row[2])]
    if not owed:
        return 0
    body = event_body(event)
    session.add_all(
        Delivery(
            subscription_id=subscription_id,
            event_id=event.id,
            event_type=event.type,
            body=body,
            next_attempt_at=now,
            created_at=now,
        )
        for subscription_id in owed
    )
    return len(owed)
