"""The kit's delivery guarantees under faults, on real PostgreSQL and Kafka.

Each test fails if its property breaks: events lost while the broker is down, an effect
applied twice after a crash, a row published twice by two relays, a group not splitting work.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from firesafe_kit.db import Database
from firesafe_kit.events.broker import Broker
from firesafe_kit.events.consumer import ConsumerRunner, dead_letter_topic
from firesafe_kit.events.envelope import CloudEvent
from firesafe_kit.events.kafka import KafkaBroker, KafkaSubscriber
from firesafe_kit.events.outbox import OutboxWriter
from firesafe_kit.events.relay import OutboxRelay
from tests.support.backends import KAFKA
from tests.support.events import (
    effect_counts,
    read_topic,
    recording_handler,
    wait_until,
    write_events,
)

pytestmark = pytest.mark.real_only
ROOT = Path(__file__).resolve().parents[3]
KAFKA_CTL = ROOT / "deploy" / "local" / "kafka.sh"
TYPE = "firesafe.test.thing.happened"


async def kafka_ctl(action: str) -> None:
    process = await asyncio.create_subprocess_exec("bash", str(KAFKA_CTL), action)
    assert await asyncio.wait_for(process.wait(), 180) == 0, f"kafka.sh {action} failed"


def ids_on(messages: list) -> list[str]:  # type: ignore[type-arg]
    return [m.header("ce_id") for m in messages]


async def test_a_broker_outage_during_1000_writes_loses_nothing_and_applies_each_once(
    kit_db: Database, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    broker = KafkaBroker(KAFKA, client_id="outage", publish_timeout=5)
    await broker.ensure_topics([topic, dead_letter_topic(topic)])
    writer = OutboxWriter(service="test", topic=topic)
    relay = OutboxRelay(
        db=kit_db, broker=broker, service="test", wake=writer.committed, max_backoff=2
    )
    group = f"{topic_prefix}g"
    consumer = ConsumerRunner(
        group=group,
        db=kit_db,
        broker=broker,
        topics=[topic],
        handlers={TYPE: recording_handler(group)},
    )
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(consumer.run(stop))]
    written: list[CloudEvent] = []
    try:
        written += await write_events(kit_db, writer, 300)
        await kafka_ctl("stop")
        try:
            written += await write_events(kit_db, writer, 400)  # committed while Kafka is down
            await asyncio.sleep(2)
            assert await relay.backlog() > 0, "rows must wait in the outbox while Kafka is down"
        finally:
            await kafka_ctl("start")
        written += await write_events(kit_db, writer, 300)

        async def everything_applied() -> bool:
            return len(await effect_counts(kit_db)) == 1000 and await relay.backlog() == 0

        await wait_until(everything_applied, timeout=180, interval=0.5)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        await broker.stop()

    assert len(written) == 1000
    on_topic = await read_topic(
        broker, topic, until=lambda seen: set(ids_on(seen)) >= {e.id for e in written}, timeout=120
    )
    assert set(ids_on(on_topic)) == {e.id for e in written}
    assert await effect_counts(kit_db) == {e.id: 1 for e in written}


async def test_a_consumer_killed_mid_batch_applies_each_effect_once_after_restart(
    kit_db: Database, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    broker = KafkaBroker(KAFKA, client_id="killer")
    await broker.ensure_topics([topic, dead_letter_topic(topic)])
    events = [
        CloudEvent(
            type=TYPE,
            source="/firesafe/test",
            subject=str(i),
            data={"seq": i},
            partitionkey=f"c{i % 7}",
        )
        for i in range(600)
    ]
    await broker.publish([e.to_message(topic) for e in events])
    await broker.stop()
    group = f"{topic_prefix}g"
    command = [sys.executable, "-m", "tests.support.consumer_process", kit_db.url, topic, group]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    first = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env)
    try:
        await wait_until(lambda: _count_at_least(kit_db, 150), timeout=120)
    finally:
        first.send_signal(signal.SIGKILL)  # no goodbye: the batch in hand is cut off
        await first.wait()
    applied_before_restart = len(await effect_counts(kit_db))
    assert applied_before_restart < 600, "the kill must land before the end"

    second = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env)
    try:
        await wait_until(lambda: _count_at_least(kit_db, 600), timeout=180)
        await asyncio.sleep(1)  # anything redelivered late would show up now
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 60)
    assert second.returncode == 0
    assert await effect_counts(kit_db) == {e.id: 1 for e in events}


async def _count_at_least(db: Database, n: int) -> bool:
    return len(await effect_counts(db)) >= n


async def test_two_relays_on_one_database_publish_each_row_once_in_key_order(
    backends: object, topic_prefix: str
) -> None:
    from tests.support.events import kit_database

    url = await backends.database_url("relays")  # type: ignore[attr-defined]
    dbs = [await kit_database(url), Database(url)]  # two relays: two engines, two pools
    topic = f"{topic_prefix}firesafe.test.v1"
    broker_a, broker_b = (
        KafkaBroker(KAFKA, client_id="relay-a"),
        KafkaBroker(KAFKA, client_id="relay-b"),
    )
    await broker_a.ensure_topics([topic])
    writer = OutboxWriter(service="test", topic=topic)
    written = await write_events(dbs[0], writer, 2000, keys=300)
    relays = [
        OutboxRelay(db=dbs[0], broker=broker_a, service="test", batch_size=40),
        OutboxRelay(db=dbs[1], broker=broker_b, service="test", batch_size=40),
    ]
    published = [0, 0]

    async def drive(i: int) -> None:
        while await relays[i].backlog() > 0:
            published[i] += await relays[i].publish_once()

    try:
        await asyncio.wait_for(asyncio.gather(drive(0), drive(1)), 180)
    finally:
        await broker_a.stop()
        await broker_b.stop()

    assert sum(published) == 2000 and min(published) > 0, published
    on_topic = await read_topic(broker_a, topic, until=lambda seen: len(seen) >= 2000, timeout=120)
    await asyncio.sleep(1)
    ids = ids_on(on_topic)
    assert len(ids) == 2000 and set(ids) == {e.id for e in written}
    by_key: dict[str, list[int]] = defaultdict(list)
    for message in on_topic:
        event = CloudEvent.from_message(message)
        by_key[event.partitionkey].append(event.data["seq"])  # type: ignore[index]
    assert all(seqs == sorted(seqs) for seqs in by_key.values())
    await broker_a.stop()
    for db in dbs:
        await db.dispose()


async def test_two_consumers_in_one_group_split_partitions_and_apply_each_event_once(
    kit_db: Database, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    broker: Broker = KafkaBroker(KAFKA, client_id="pair")
    await broker.ensure_topics([topic, dead_letter_topic(topic)])
    group = f"{topic_prefix}g"
    members = [
        ConsumerRunner(
            group=group,
            db=kit_db,
            broker=broker,
            topics=[topic],
            handlers={TYPE: recording_handler(f"member-{i}")},
        )
        for i in range(2)
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(m.run(stop)) for m in members]

    def assignments() -> list[set[tuple[str, int]]]:
        result = []
        for member in members:
            subscriber = member.subscriber
            if not isinstance(subscriber, KafkaSubscriber):
                return []
            result.append({(tp.topic, tp.partition) for tp in subscriber._consumer.assignment()})
        return result

    def split() -> bool:
        current = assignments()
        return (
            len(current) == 2
            and all(current)
            and not (current[0] & current[1])
            and len(current[0] | current[1]) == 3
        )

    try:
        await wait_until(split, timeout=120)
        events = [
            CloudEvent(
                type=TYPE,
                source="/firesafe/test",
                subject=str(i),
                data={"seq": i},
                partitionkey=f"c{i % 40}",
            )
            for i in range(900)
        ]
        await broker.publish([e.to_message(topic) for e in events])
        await wait_until(lambda: _count_at_least(kit_db, 900), timeout=120)
        await asyncio.sleep(1)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
        await broker.stop()

    assert await effect_counts(kit_db) == {e.id: 1 for e in events}
    async with kit_db.session() as session:
        from sqlalchemy import func, select

        from tests.support.events import effects

        per_member = dict(
            (
                await session.execute(
                    select(effects.c.consumer, func.count()).group_by(effects.c.consumer)
                )
            ).all()
        )
    assert set(per_member) == {"member-0", "member-1"}, per_member
