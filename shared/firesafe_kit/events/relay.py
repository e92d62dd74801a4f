"""The outbox relay: publishes committed outbox rows in order, never drops one.

On PostgreSQL several replicas may run: each claims rows with FOR UPDATE SKIP LOCKED, so a
row is published by one relay at a time, and a relay leaves alone any key that has an earlier
row claimed by another, so per-community order holds. While the broker is down it backs off
and keeps the rows.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.clock import utcnow
from firesafe_kit.db import Database
from firesafe_kit.events.broker import Broker, BrokerUnavailable, OutgoingMessage
from firesafe_kit.observability import metrics
from firesafe_kit.tables import outbox

log = logging.getLogger(__name__)


def _to_message(row: Row[Any]) -> OutgoingMessage:
    headers = [(k, v.encode()) for k, v in json.loads(row.headers)]
    key = row.partition_key.encode() if row.partition_key else None
    return OutgoingMessage(topic=row.topic, key=key, value=row.payload.encode(), headers=headers)


class OutboxRelay:
    def __init__(
        self,
        *,
        db: Database,
        broker: Broker,
        service: str,
        wake: asyncio.Event | None = None,
        batch_size: int = 200,
        idle_seconds: float = 0.5,
        max_backoff: float = 10.0,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self.db = db
        self.broker = broker
        self.service = service
        self.wake = wake or asyncio.Event()
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.max_backoff = max_backoff
        self.retention = retention

    async def _claim(self, session: AsyncSession) -> Sequence[Row[Any]]:
        query = (
            select(outbox)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(self.batch_size)
        )
        if self.db.is_sqlite:  # one writer at a time already (BEGIN IMMEDIATE)
            return (await session.execute(query)).all()
        rows = (await session.execute(query.with_for_update(skip_locked=True))).all()
        if not rows:
            return rows
        # An unpublished row before ours that we did not claim is another relay's: leave its
        # keys alone so that no event overtakes an earlier one of the same community.
        claimed = [r.id for r in rows]
        blocked = set(
            (
                await session.execute(
                    select(outbox.c.partition_key)
                    .where(
                        outbox.c.published_at.is_(None),
                        outbox.c.id < max(claimed),
                        outbox.c.id.not_in(claimed),
                    )
                    .distinct()
                )
            ).scalars()
        )
        return [r for r in rows if r.partition_key not in blocked]

    async def publish_once(self) -> int:
        """Publish one batch; returns how many rows went out. Raises BrokerUnavailable."""
        failure: BrokerUnavailable | None = None
        async with self.db.transaction() as session:
            rows = await self._claim(session)
            if not rows:
                return 0
            ids = [r.id for r in rows]
            try:
                await self.broker.publish([_to_message(r) for r in rows])
            except BrokerUnavailable as exc:
                failure = exc
                await session.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids))
                    .values(attempts=outbox.c.attempts + 1, last_error=str(exc)[:2000])
                )
            else:
                await session.execute(
                    update(outbox).where(outbox.c.id.in_(ids)).values(published_at=utcnow())
                )
        if failure is not None:
            raise failure
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    async def backlog(self) -> int:
        async with self.db.session() as session:
            count = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        return int(count or 0)

    async def purge_published(self) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                delete(outbox).where(outbox.c.published_at < utcnow() - self.retention)
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until `stop` is set; the batch in hand is always finished first."""
        backoff = 0.0
        last_purge = utcnow()
        while not stop.is_set():
            try:
                published = await self.publish_once()
                backoff = 0.0
                metrics.OUTBOX_BACKLOG.labels(self.service).set(await self.backlog())
                if utcnow() - last_purge > timedelta(hours=1):
                    await self.purge_published()
                    last_purge = utcnow()
                if published:
                    continue
                self.wake.clear()
                await _wait_any(stop, self.wake, timeout=self.idle_seconds)
            except BrokerUnavailable as exc:
                backoff = min(self.max_backoff, max(0.2, backoff * 2))
                log.warning("outbox relay: broker unavailable, retrying in %.1fs: %s", backoff, exc)
                await _wait_any(stop, None, timeout=backoff)
            except Exception:
                # The database may be away too; keep the rows and try again later.
                backoff = min(self.max_backoff, max(0.5, backoff * 2))
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                await _wait_any(stop, None, timeout=backoff)


async def _wait_any(stop: asyncio.Event, other: asyncio.Event | None, *, timeout: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if other is not None:
        waiters.append(asyncio.ensure_future(other.wait()))
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
