"""A consumer in its own process, so that a test can kill it with SIGKILL mid-batch.

Usage: python -m tests.support.consumer_process <database_url> <topic> <group>
"""

from __future__ import annotations

import asyncio
import signal
import sys

from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.db import Database
from firesafe_kit.events.consumer import ConsumerRunner
from firesafe_kit.events.envelope import CloudEvent
from firesafe_kit.events.kafka import KafkaBroker
from tests.support.backends import KAFKA
from tests.support.events import recording_handler


async def main(database_url: str, topic: str, group: str) -> None:
    db = Database(database_url)
    broker = KafkaBroker(KAFKA, client_id=group)
    record = recording_handler(group)

    async def slow(session: AsyncSession, event: CloudEvent) -> None:
        await record(session, event)
        await asyncio.sleep(0.01)  # long enough that a kill lands inside a batch

    runner = ConsumerRunner(
        group=group,
        db=db,
        broker=broker,
        topics=[topic],
        handlers={"firesafe.test.thing.happened": slow},
        batch_size=50,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("started", flush=True)
    await runner.run(stop)
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
