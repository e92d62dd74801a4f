"""A service's moving parts and their lifecycle: database, broker, outbox relay, consumers.

Start order: migrate, broker, relay, consumers. Stop: signal, let each loop finish the batch
in hand, then close the broker and the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from firesafe_kit.db import Database
from firesafe_kit.events.broker import Broker, BrokerUnavailable
from firesafe_kit.events.bus import LocalLogBroker
from firesafe_kit.events.consumer import ConsumerRunner, Handler, dead_letter_topic
from firesafe_kit.events.kafka import KafkaBroker
from firesafe_kit.events.outbox import OutboxWriter
from firesafe_kit.events.relay import OutboxRelay
from firesafe_kit.migrations import upgrade_to_head
from firesafe_kit.settings import KitSettings

log = logging.getLogger(__name__)
# A background loop: runs until the event is set, then finishes the work in hand.
Loop = Callable[[asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class ConsumerSpec:
    """One consumer group of a service: the topics it reads (unprefixed) and its handlers."""

    name: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler] = field(default_factory=dict)


def make_broker(settings: KitSettings) -> Broker:
    if settings.uses_kafka:
        return KafkaBroker(settings.kafka_bootstrap_servers, client_id=settings.service_name)
    return LocalLogBroker.shared(settings.data_dir / "bus.sqlite")


class ServiceRuntime:
    def __init__(
        self,
        settings: KitSettings,
        *,
        service_dir: Path,
        published_topic: str,
        consumers: Sequence[ConsumerSpec] = (),
        broker: Broker | None = None,
        drain_seconds: float = 30.0,
    ) -> None:
        self.settings = settings
        self.service_dir = service_dir
        self.topic = settings.topic(published_topic)
        self.db = Database(settings.database_url)
        self.broker = broker or make_broker(settings)
        self.outbox = OutboxWriter(service=settings.service_name, topic=self.topic)
        self.relay = OutboxRelay(
            db=self.db,
            broker=self.broker,
            service=settings.service_name,
            wake=self.outbox.committed,
            batch_size=settings.relay_batch_size,
            idle_seconds=settings.relay_idle_seconds,
        )
        self.consumers = [self.consumer_runner(spec) for spec in consumers]
        self.drain_seconds = drain_seconds
        self._loops: list[tuple[str, Loop]] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def consumer_runner(self, spec: ConsumerSpec) -> ConsumerRunner:
        """The runner of one consumer group, named `<service>.<spec.name>` (topic prefix too)."""
        settings = self.settings
        return ConsumerRunner(
            group=settings.topic(f"{settings.service_name}.{spec.name}"),
            db=self.db,
            broker=self.broker,
            topics=[settings.topic(t) for t in spec.topics],
            handlers=spec.handlers,
            max_retries=settings.consumer_max_retries,
            retry_base_seconds=settings.consumer_retry_base_seconds,
        )

    def add_loop(self, name: str, loop: Loop) -> None:
        """A background loop of the service (a scheduler, a delivery worker): started after the
        consumers, told to stop with them and drained the same way."""
        self._loops.append((name, loop))

    async def migrate(self) -> None:
        # Alembic is synchronous and runs its own event loop: keep it off ours.
        await asyncio.to_thread(upgrade_to_head, self.service_dir, self.settings.database_url)

    async def _ensure_own_topic(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                await self.broker.ensure_topics([self.topic, dead_letter_topic(self.topic)])
                return
            except BrokerUnavailable as exc:
                log.warning("cannot create topic %s yet: %s", self.topic, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    def _spawn(self, name: str, work: Awaitable[None]) -> None:
        self._tasks.append(asyncio.create_task(_logged(name, work), name=name))

    async def start(self) -> None:
        if self.settings.migrate_on_start:
            await self.migrate()
        await self.broker.start()
        self._stop.clear()
        self._spawn(f"{self.settings.service_name}-topics", self._ensure_own_topic())
        self._spawn(f"{self.settings.service_name}-relay", self.relay.run(self._stop))
        for consumer in self.consumers:
            self._spawn(consumer.group, consumer.run(self._stop))
        for name, loop in self._loops:
            self._spawn(f"{self.settings.service_name}-{name}", loop(self._stop))

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=self.drain_seconds)
            for task in pending:
                log.warning("task %s did not drain in time; cancelling", task.get_name())
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._tasks.clear()
        await self.broker.stop()
        await self.db.dispose()

    def readiness_checks(self) -> dict[str, Callable[[], Awaitable[None]]]:
        return {"database": self.db.ping, "broker": self.broker.ping}


async def _logged(name: str, work: Awaitable[None]) -> None:
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("background task %s crashed", name)


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep between rounds of a loop, waking at once when the service stops."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
