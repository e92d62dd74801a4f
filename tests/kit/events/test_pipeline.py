"""The outbox → broker → consumer path, on whichever backends the run selected."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from firesafe_kit.db import Database
from firesafe_kit.events.broker import Broker, IncomingMessage, OutgoingMessage
from firesafe_kit.events.consumer import ConsumerRunner, dead_letter_topic
from firesafe_kit.events.envelope import CloudEvent
from firesafe_kit.events.outbox import OutboxWriter
from firesafe_kit.events.relay import OutboxRelay
from tests.support.events import (
    effect_counts,
    read_topic,
    recording_handler,
    wait_until,
    write_events,
)

TYPE = "firesafe.test.thing.happened"


async def drain(relay: OutboxRelay) -> int:
    total = 0
    while published := await relay.publish_once():
        total += published
    return total


def runner(
    kit_db: Database, broker: Broker, topic: str, group: str, **kwargs: object
) -> ConsumerRunner:
    handlers = kwargs.pop("handlers", {TYPE: recording_handler(group)})
    return ConsumerRunner(
        group=group,
        db=kit_db,
        broker=broker,
        topics=[topic],
        handlers=handlers,  # type: ignore[arg-type]
        retry_base_seconds=0.01,
        **kwargs,  # type: ignore[arg-type]
    )


async def run_until(consumer: ConsumerRunner, done: object, *, timeout: float = 60) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await wait_until(done, timeout=timeout)  # type: ignore[arg-type]
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_committed_events_reach_the_topic_once_in_order_per_key(
    kit_db: Database, broker: Broker, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    await broker.ensure_topics([topic])
    writer = OutboxWriter(service="test", topic=topic)
    written = await write_events(kit_db, writer, 60, keys=4)
    relay = OutboxRelay(db=kit_db, broker=broker, service="test", batch_size=25)

    assert await drain(relay) == 60
    assert await relay.backlog() == 0
    messages = await read_topic(broker, topic, until=lambda seen: len(seen) >= 60)

    assert sorted(m.header("ce_id") for m in messages) == sorted(e.id for e in written)
    by_key: dict[str, list[int]] = defaultdict(list)
    for message in messages:
        event = CloudEvent.from_message(message)
        assert message.key == event.partitionkey.encode()  # type: ignore[union-attr]
        assert event.source == "/firesafe/test" and event.type == TYPE
        by_key[event.partitionkey].append(event.data["seq"])  # type: ignore[index]
    assert all(seqs == sorted(seqs) for seqs in by_key.values())
    assert len(by_key) == 4


async def test_rolled_back_transaction_publishes_nothing(
    kit_db: Database, broker: Broker, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    await broker.ensure_topics([topic])
    writer = OutboxWriter(service="test", topic=topic)
    with pytest.raises(RuntimeError):
        async with kit_db.transaction() as session:
            await writer.publish(
                session, type=TYPE, subject="x", data={"seq": -1}, partition_key="k"
            )
            raise RuntimeError("the change fails after its event was recorded")
    kept = await write_events(kit_db, writer, 1)
    relay = OutboxRelay(db=kit_db, broker=broker, service="test")

    assert await drain(relay) == 1
    messages = await read_topic(broker, topic, until=lambda seen: len(seen) >= 1)
    await asyncio.sleep(0.5)  # nothing else may trail in
    messages += await read_topic(broker, topic, until=lambda seen: True, timeout=5)
    assert {m.header("ce_id") for m in messages} == {kept[0].id}


async def test_redelivered_events_apply_once(
    kit_db: Database, broker: Broker, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    await broker.ensure_topics([topic, dead_letter_topic(topic)])
    events = [
        CloudEvent(
            type=TYPE, source="/firesafe/test", subject=str(i), data={"seq": i}, partitionkey="k"
        )
        for i in range(20)
    ]
    # At-least-once: the broker may hold every record twice.
    await broker.publish([e.to_message(topic) for e in events] * 2)
    consumer = runner(kit_db, broker, topic, f"{topic_prefix}g")

    async def all_seen() -> bool:
        return len(await effect_counts(kit_db)) == 20

    await run_until(consumer, all_seen)
    await asyncio.sleep(0.3)
    counts = await effect_counts(kit_db)
    assert counts == {e.id: 1 for e in events}


async def test_poison_goes_to_dead_letter_topic_and_consumer_carries_on(
    kit_db: Database, broker: Broker, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    dlq = dead_letter_topic(topic)
    await broker.ensure_topics([topic, dlq])
    good_before = CloudEvent(
        type=TYPE, source="/firesafe/test", subject="a", data={"seq": 1}, partitionkey="k"
    )
    failing = CloudEvent(
        type="firesafe.test.thing.broken",
        source="/firesafe/test",
        subject="b",
        data={},
        partitionkey="k",
    )
    good_after = CloudEvent(
        type=TYPE, source="/firesafe/test", subject="c", data={"seq": 2}, partitionkey="k"
    )
    not_json = OutgoingMessage(
        topic=topic,
        key=b"k",
        value=b"{not json",
        headers=[
            ("ce_id", b"poison-1"),
            ("ce_source", b"/firesafe/test"),
            ("ce_type", TYPE.encode()),
            ("ce_specversion", b"1.0"),
        ],
    )
    await broker.publish(
        [
            good_before.to_message(topic),
            not_json,
            failing.to_message(topic),
            good_after.to_message(topic),
        ]
    )
    attempts = 0

    async def always_fails(session: object, event: CloudEvent) -> None:
        nonlocal attempts
        attempts += 1
        raise ValueError("cannot process this record")

    group = f"{topic_prefix}g"
    consumer = runner(
        kit_db,
        broker,
        topic,
        group,
        max_retries=2,
        handlers={TYPE: recording_handler(group), failing.type: always_fails},
    )

    async def good_ones_applied() -> bool:
        return set(await effect_counts(kit_db)) == {good_before.id, good_after.id}

    await run_until(consumer, good_ones_applied)
    dead = await read_topic(broker, dlq, until=lambda seen: len(seen) >= 2)

    assert attempts == 3  # the first try and two retries
    assert [m.value for m in dead] == [b"{not json", failing.value()]
    errors = [m.header("x-dlq-error") or "" for m in dead]
    assert "InvalidEvent" in errors[0] and "not UTF-8 JSON" in errors[0]
    assert "ValueError: cannot process this record" in errors[1]
    assert all(m.header("x-dlq-original-topic") == topic for m in dead)
    assert all(m.header("x-dlq-consumer-group") == group for m in dead)


async def test_unknown_event_types_are_skipped_not_dead_lettered(
    kit_db: Database, broker: Broker, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    await broker.ensure_topics([topic, dead_letter_topic(topic)])
    unknown = CloudEvent(
        type="firesafe.future.thing.invented",
        source="/firesafe/future",
        subject="u",
        data={},
        partitionkey="k",
    )
    known = CloudEvent(
        type=TYPE, source="/firesafe/test", subject="k", data={"seq": 1}, partitionkey="k"
    )
    await broker.publish([unknown.to_message(topic), known.to_message(topic)])
    consumer = runner(kit_db, broker, topic, f"{topic_prefix}g")

    async def known_applied() -> bool:
        return known.id in await effect_counts(kit_db)

    await run_until(consumer, known_applied)
    dead = await read_topic(broker, dead_letter_topic(topic), until=lambda seen: True, timeout=5)
    assert dead == []
    assert await effect_counts(kit_db) == {known.id: 1}


async def test_a_failing_handler_is_retried_and_its_failed_tries_leave_no_trace(
    kit_db: Database, broker: Broker, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    await broker.ensure_topics([topic, dead_letter_topic(topic)])
    event = CloudEvent(
        type=TYPE, source="/firesafe/test", subject="r", data={"seq": 7}, partitionkey="k"
    )
    await broker.publish([event.to_message(topic)])
    record = recording_handler("flaky")
    calls = 0

    async def flaky(session: object, incoming: CloudEvent) -> None:
        nonlocal calls
        calls += 1
        await record(session, incoming)  # type: ignore[arg-type]
        if calls < 3:
            raise ValueError("transient trouble after writing")  # rolled back with the inbox row

    consumer = runner(
        kit_db, broker, topic, f"{topic_prefix}g", max_retries=3, handlers={TYPE: flaky}
    )

    async def applied() -> bool:
        return event.id in await effect_counts(kit_db)

    await run_until(consumer, applied)
    assert calls == 3
    assert await effect_counts(kit_db) == {event.id: 1}


async def test_stop_finishes_the_batch_in_hand_and_restart_applies_the_rest_once(
    kit_db: Database, broker: Broker, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    await broker.ensure_topics([topic, dead_letter_topic(topic)])
    events = [
        CloudEvent(
            type=TYPE, source="/firesafe/test", subject=str(i), data={"seq": i}, partitionkey="k"
        )
        for i in range(30)
    ]
    await broker.publish([e.to_message(topic) for e in events])
    group = f"{topic_prefix}g"
    record = recording_handler(group)
    stop = asyncio.Event()

    async def slow_then_stop(session: object, event: CloudEvent) -> None:
        await record(session, event)  # type: ignore[arg-type]
        stop.set()  # ask to stop while the batch is still in hand
        await asyncio.sleep(0.01)

    first = runner(kit_db, broker, topic, group, batch_size=10, handlers={TYPE: slow_then_stop})
    await asyncio.wait_for(first.run(stop), 60)
    after_first = await effect_counts(kit_db)
    assert len(after_first) >= 10  # the whole first batch was finished, not abandoned

    second = runner(kit_db, broker, topic, group, batch_size=10)

    async def all_applied() -> bool:
        return len(await effect_counts(kit_db)) == 30

    await run_until(second, all_applied)
    assert await effect_counts(kit_db) == {e.id: 1 for e in events}


async def test_a_batch_is_applied_in_one_transaction_and_a_bad_record_only_costs_its_own(
    kit_db: Database, broker: Broker, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}firesafe.test.v1"
    await broker.ensure_topics([topic, dead_letter_topic(topic)])

    def make(i: int) -> CloudEvent:
        return CloudEvent(
            type=TYPE, source="/firesafe/test", subject=str(i), data={"seq": i}, partitionkey="k"
        )

    good, bad = [make(i) for i in range(5)], make(99)
    record = recording_handler("batch")
    sessions: list[int] = []

    async def handler(session: object, incoming: CloudEvent) -> None:
        sessions.append(id(session))
        if incoming.id == bad.id:
            raise ValueError("this record can never be applied")
        await record(session, incoming)  # type: ignore[arg-type]

    consumer = runner(
        kit_db, broker, topic, f"{topic_prefix}g", max_retries=1, handlers={TYPE: handler}
    )
    messages = [e.to_message(topic) for e in good]
    incoming = [
        IncomingMessage(topic, 0, n, m.key, m.value, m.headers) for n, m in enumerate(messages)
    ]
    stop = asyncio.Event()

    offsets = await consumer.process_batch(incoming, stop)
    assert offsets == {(topic, 0): 5}
    assert len(set(sessions)) == 1  # the five records shared one transaction
    assert await effect_counts(kit_db) == {e.id: 1 for e in good}

    sessions.clear()
    tail = [make(i) for i in range(5, 8)]
    mixed = [*tail[:1], bad, *tail[1:]]
    batch = [
        IncomingMessage(topic, 0, 5 + n, m.key, m.value, m.headers)
        for n, m in enumerate(e.to_message(topic) for e in mixed)
    ]
    offsets = await consumer.process_batch(batch, stop)
    assert offsets == {(topic, 0): 9}  # the bad one was dead-lettered, the rest applied
    assert await effect_counts(kit_db) == {e.id: 1 for e in [*good, *tail]}
    dead = await read_topic(broker, dead_letter_topic(topic), until=lambda seen: len(seen) >= 1)
    assert [m.header("ce_id") for m in dead] == [bad.id]
