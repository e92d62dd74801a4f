"""Every event the alerts service publishes goes through here: the outbox row and the webhook
deliveries it owes are written in the caller's transaction, so neither exists without the other
or without the change they describe."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from alerts.webhooks.fanout import enqueue_deliveries
from firesafe_kit.clock import Clock
from firesafe_kit.events.envelope import CloudEvent
from firesafe_kit.events.outbox import OutboxWriter


async def publish(
    session: AsyncSession,
    outbox: OutboxWriter,
    clock: Clock,
    *,
    entity_verb: str,  # "alert.raised", "notice.published", ...
    subject: str,
    data: dict[str, Any],
    community_id: str | None,
    street_id: str | None = None,
    district_id: str | None = None,
    partition_key: str | None = None,
) -> CloudEvent:
    """`community_id`, `street_id`, `district_id`: where the event happened, for the
    jurisdiction of webhook subscriptions (a notice has no one community)."""
    cloud_event = await outbox.publish(
        session,
        type=f"{outbox.source_prefix}.{entity_verb}",
        subject=subject,
        data=data,
        partition_key=partition_key or community_id,
    )
    await enqueue_deliveries(
        session,
        cloud_event,
        community_id=community_id,
        street_id=street_id,
        district_id=district_id,
        now=clock.now(),
    )
    return cloud_event
