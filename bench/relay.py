"""Outbox relay throughput next to a bare aiokafka producer, on PostgreSQL and Kafka.

Both sides send the same N CloudEvents with the same producer settings (idempotent, acks=all)
to fresh topics; the relay also claims and marks rows in PostgreSQL. Reported as events/s and
the ratio relay/raw. Needs `make infra-up`.
"""

from __future__ import annotations

import os
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaProducer

from firesafe_kit.events.envelope import CloudEvent
from firesafe_kit.events.kafka import KafkaBroker
from firesafe_kit.events.outbox import OutboxWriter
from firesafe_kit.events.relay import OutboxRelay
from tests.support.events import kit_database

PG = os.environ.get("FIRESAFE_BENCH_PG", "postgresql://firesafe:firesafe@127.0.0.1:5432/firesafe")
KAFKA = os.environ.get("FIRESAFE_BENCH_KAFKA", "127.0.0.1:9092")


def _events(n: int) -> list[CloudEvent]:
    return [
        CloudEvent(
            type="firesafe.bench.thing.happened",
            source="/firesafe/bench",
            subject=str(i),
            data={"seq": i, "name": "消防安全社区"},
            partitionkey=f"community-{i % 50}",
        )
        for i in range(n)
    ]


async def _raw(events: list[CloudEvent], topic: str) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=KAFKA, enable_idempotence=True, acks="all", linger_ms=2
    )
    await producer.start()
    try:
        started = time.perf_counter()
        for chunk in range(0, len(events), 200):  # the relay's batch size
            futures = [
                await producer.send(
                    topic,
                    value=e.value(),
                    key=e.partitionkey.encode(),  # type: ignore[union-attr]
                    headers=e.headers(),
                )
                for e in events[chunk : chunk + 200]
            ]
            for future in futures:
                await future
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def _relay(events: list[CloudEvent], topic: str) -> float:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f'CREATE DATABASE "{name}"')
    db = await kit_database(
        f"{PG.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    )
    broker = KafkaBroker(KAFKA, client_id="bench")
    writer = OutboxWriter(service="bench", topic=topic)
    try:
        for chunk in range(0, len(events), 500):
            async with db.transaction() as session:
                for event in events[chunk : chunk + 500]:
                    await writer.add(session, event)
        relay = OutboxRelay(db=db, broker=broker, service="bench", batch_size=200)
        # Connect before the clock starts, as the raw producer does.
        await broker.publish([_events(1)[0].to_message(f"{topic}.warmup")])
        started = time.perf_counter()
        while await relay.publish_once():
            pass
        return time.perf_counter() - started
    finally:
        await broker.stop()
        await db.dispose()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def main(*, events: int) -> None:
    batch = _events(events)
    broker = KafkaBroker(KAFKA, client_id="bench-admin")
    raw_topic, relay_topic = (
        f"bench.raw.{uuid.uuid4().hex[:6]}",
        f"bench.relay.{uuid.uuid4().hex[:6]}",
    )
    await broker.ensure_topics([raw_topic, relay_topic, f"{relay_topic}.warmup"])
    raw_seconds = await _raw(batch, raw_topic)
    relay_seconds = await _relay(batch, relay_topic)
    raw_rate, relay_rate = events / raw_seconds, events / relay_seconds
    print(f"relay benchmark: {events} events, PostgreSQL + Kafka on loopback")
    print(f"  {'path':<34}{'seconds':>10}{'events/s':>12}")
    print(f"  {'aiokafka producer (raw)':<34}{raw_seconds:>10.2f}{raw_rate:>12.0f}")
    print(f"  {'outbox relay (claim+send+mark)':<34}{relay_seconds:>10.2f}{relay_rate:>12.0f}")
    print(f"  ratio relay/raw throughput: {relay_rate / raw_rate:.2f}x")
