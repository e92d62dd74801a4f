"""Placeholder until the webhook fan-out lands: owes no deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.events.envelope import CloudEvent


async def enqueue_deliveries(
    session: AsyncSession, event: CloudEvent, *, community_id: str | None, now: datetime
) -> int:
    return 0
