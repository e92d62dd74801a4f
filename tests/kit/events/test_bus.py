"""The in-process bus keeps Kafka's promises across a restart of the process."""

from __future__ import annotations

from pathlib import Path

from firesafe_kit.events.bus import LocalLogBroker
from firesafe_kit.events.envelope import CloudEvent


def _events(n: int) -> list[CloudEvent]:
    return [
        CloudEvent(
            type="firesafe.test.thing.happened",
            source="/firesafe/test",
            subject=str(i),
            data={"seq": i},
            partitionkey="k",
        )
        for i in range(n)
    ]


async def test_committed_offsets_and_the_log_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "bus.sqlite"
    events = _events(5)
    bus = LocalLogBroker.shared(path)
    await bus.start()
    await bus.ensure_topics(["t"])
    await bus.publish([e.to_message("t") for e in events])
    first = bus.subscriber("g", ["t"])
    await first.start()
    batch = await first.fetch(timeout=1, max_records=3)
    await first.commit({("t", 0): batch[-1].offset + 1})
    await first.fetch(timeout=1, max_records=10)  # read further, but never committed
    await bus.stop()

    restarted = LocalLogBroker.shared(path)
    assert restarted is not bus  # a new broker on the same file, as after a restart
    await restarted.start()
    try:
        resumed = restarted.subscriber("g", ["t"])
        await resumed.start()
        rest = await resumed.fetch(timeout=1, max_records=10)
        other_group = restarted.subscriber("h", ["t"])
        await other_group.start()
        everything = await other_group.fetch(timeout=1, max_records=10)
        assert await resumed.lag() == {("t", 0): 0}
    finally:
        await restarted.stop()

    assert [m.header("ce_id") for m in batch] == [e.id for e in events[:3]]
    assert [m.header("ce_id") for m in rest] == [e.id for e in events[3:]]
    assert [m.header("ce_id") for m in everything] == [e.id for e in events]


async def test_a_subscriber_rewinds_to_its_last_commit(tmp_path: Path) -> None:
    bus = LocalLogBroker.shared(tmp_path / "bus.sqlite")
    await bus.start()
    try:
        await bus.publish([e.to_message("t") for e in _events(4)])
        subscriber = bus.subscriber("g", ["t"])
        await subscriber.start()
        read = await subscriber.fetch(timeout=1, max_records=4)
        await subscriber.commit({("t", 0): read[1].offset + 1})
        await subscriber.rewind()
        again = await subscriber.fetch(timeout=1, max_records=4)
    finally:
        await bus.stop()
    assert [m.offset for m in again] == [m.offset for m in read[2:]]
