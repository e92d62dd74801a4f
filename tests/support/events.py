"""Helpers for event tests: a kit database with an effects table, reading a topic to its end."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.db import BigId, Database
from firesafe_kit.events.broker import Broker, IncomingMessage
from firesafe_kit.events.consumer import Handler
from firesafe_kit.events.envelope import CloudEvent
from firesafe_kit.events.outbox import OutboxWriter
from firesafe_kit.tables import kit_metadata

test_metadata = MetaData()
# One row per application of an event's effect: exactly-once means exactly one row per id.
effects = Table(
    "test_effects",
    test_metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, index=True),
    Column("consumer", String(100), nullable=False),
    Column("seq", Integer, nullable=True),
)


async def kit_database(url: str) -> Database:
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.run_sync(kit_metadata.create_all)
        await connection.run_sync(test_metadata.create_all)
    return db


def recording_handler(consumer: str) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        await session.execute(
            insert(effects).values(event_id=event.id, consumer=consumer, seq=event.data.get("seq"))
        )

    return handle


async def effect_counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        rows = await session.execute(
            select(effects.c.event_id, func.count()).group_by(effects.c.event_id)
        )
        return {event_id: count for event_id, count in rows.all()}


async def write_events(
    db: Database,
    writer: OutboxWriter,
    count: int,
    *,
    keys: int = 5,
    type: str = "firesafe.test.thing.happened",
) -> list[CloudEvent]:
    written = []
    for seq in range(count):
        key = f"community-{seq % keys}"
        async with db.transaction() as session:
            event = await writer.publish(
                session,
                type=type,
                subject=f"thing-{seq}",
                data={"seq": seq, "key": key},
                partition_key=key,
            )
        written.append(event)
    return written


async def read_topic(
    broker: Broker,
    topic: str,
    *,
    until: Callable[[list[IncomingMessage]], bool],
    timeout: float = 60,
) -> list[IncomingMessage]:
    """Everything on `topic` from the beginning, read by a fresh consumer group."""
    subscriber = broker.subscriber(f"reader-{uuid.uuid4().hex[:8]}", [topic])
    await subscriber.start()
    seen: list[IncomingMessage] = []
    try:
        async with asyncio.timeout(timeout):
            while not until(seen):
                seen.extend(await subscriber.fetch(timeout=0.5, max_records=1000))
    finally:
        await subscriber.stop()
    return seen


async def wait_until(
    predicate: Callable[[], object], *, timeout: float = 60, interval: float = 0.1
) -> None:
    async with asyncio.timeout(timeout):
        while True:
            result = predicate()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(interval)
