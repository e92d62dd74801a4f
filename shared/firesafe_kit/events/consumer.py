"""The consumer runner: one consumer group, idempotent handlers, offsets after commit,
bounded retries, then a dead-letter topic.

For each record: the inbox row (consumer, ce_source, ce_id) and the handler's effects are
written in one transaction; the offset is committed only after it. A repeat finds the inbox
row and does nothing. A handler that keeps failing sends the record to `<topic>.dlq` with the
error in headers, and the runner moves on. When the database itself is away, the runner
waits for it instead of dead-lettering good records.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.clock import utcnow
from firesafe_kit.db import Database
from firesafe_kit.events.broker import (
    Broker,
    BrokerUnavailable,
    IncomingMessage,
    OutgoingMessage,
    Subscriber,
    TopicPartition,
)
from firesafe_kit.events.envelope import CloudEvent, InvalidEvent
from firesafe_kit.observability import metrics
from firesafe_kit.observability.context import request_id_var, traceparent_var
from firesafe_kit.tables import inbox

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
DLQ_SUFFIX = ".dlq"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


def _is_transient(exc: BaseException) -> bool:
    """Infrastructure trouble (database unreachable), as opposed to a bad record."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, ConnectionError | OSError | TimeoutError)


class ConsumerRunner:
    def __init__(
        self,
        *,
        group: str,
        db: Database,
        broker: Broker,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        max_retries: int = 3,
        retry_base_seconds: float = 0.2,
        batch_size: int = 100,
        fetch_timeout: float = 1.0,
    ) -> None:
        self.group = group
        self.db = db
        self.broker = broker
        self.topics = list(topics)
        self.handlers = dict(handlers)
        self.max_retries = max_retries
        self.retry_base_seconds = retry_base_seconds
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.subscriber: Subscriber | None = None

    # -- one record -------------------------------------------------------------------------

    async def _claim_inbox(self, session: AsyncSession, event: CloudEvent) -> bool:
        values: dict[str, Any] = {
            "consumer": self.group,
            "event_source": event.source,
            "event_id": event.id,
            "event_type": event.type,
            "processed_at": utcnow(),
        }
        if self.db.dialect == "postgresql":
            statement: Any = pg_insert(inbox).values(**values).on_conflict_do_nothing()
        elif self.db.is_sqlite:
            statement = sqlite_insert(inbox).values(**values).on_conflict_do_nothing()
        else:  # pragma: no cover - only the two engines are supported
            statement = insert(inbox).values(**values)
        result = await session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _apply(self, handler: Handler, event: CloudEvent) -> bool:
        """Run the handler once in a transaction with its inbox row; False if a repeat."""
        async with self.db.transaction() as session:
            if not await self._claim_inbox(session, event):
                return False
            await handler(session, event)
        return True

    async def _dead_letter(
        self, message: IncomingMessage, error: BaseException, stop: asyncio.Event
    ) -> bool:
        headers = [h for h in message.headers if not h[0].startswith("x-dlq-")]
        headers += [
            ("x-dlq-error", f"{type(error).__name__}: {error}"[:4000].encode()),
            ("x-dlq-error-type", type(error).__name__.encode()),
            ("x-dlq-original-topic", message.topic.encode()),
            ("x-dlq-original-partition", str(message.partition).encode()),
            ("x-dlq-original-offset", str(message.offset).encode()),
            ("x-dlq-consumer-group", self.group.encode()),
            ("x-dlq-failed-at", utcnow().isoformat().encode()),
        ]
        dlq = OutgoingMessage(
            topic=dead_letter_topic(message.topic),
            key=message.key,
            value=message.value,
            headers=headers,
        )
        delay = 0.2
        while True:
            try:
                await self.broker.publish([dlq])
            except BrokerUnavailable:
                if stop.is_set():
                    return False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
                continue
            metrics.DEAD_LETTERS.labels(self.group, message.topic).inc()
            log.error(
                "record dead-lettered",
                extra={"topic": message.topic, "offset": message.offset, "error": str(error)},
            )
            return True

    async def handle(self, message: IncomingMessage, stop: asyncio.Event) -> bool:
        """Process one record to its end (applied, repeated, ignored or dead-lettered).

        Returns False only when stopping interrupted it; its offset must then not move.
        """
        try:
            event = CloudEvent.from_message(message)
        except InvalidEvent as exc:
            metrics.EVENTS_HANDLED.labels(self.group, "invalid", "dead_letter").inc()
            return await self._dead_letter(message, exc, stop)
        handler = self.handlers.get(event.type)
        if handler is None:  # another service's event we have no rule for: count and skip
            metrics.EVENTS_HANDLED.labels(self.group, event.type, "ignored").inc()
            return True
        request_id_var.set(event.request_id)
        traceparent_var.set(event.traceparent)
        failures = 0
        transient_delay = self.retry_base_seconds or 0.1
        while True:
            try:
                applied = await self._apply(handler, event)
            except Exception as exc:
                if _is_transient(exc):
                    if stop.is_set():
                        return False
                    log.warning("consumer %s: database unavailable, waiting: %s", self.group, exc)
                    await asyncio.sleep(transient_delay)
                    transient_delay = min(transient_delay * 2, 10)
                    continue
                failures += 1
                if failures > self.max_retries:
                    metrics.EVENTS_HANDLED.labels(self.group, event.type, "dead_letter").inc()
                    return await self._dead_letter(message, exc, stop)
                await asyncio.sleep(self.retry_base_seconds * 2 ** (failures - 1))
                continue
            outcome = "applied" if applied else "duplicate"
            metrics.EVENTS_HANDLED.labels(self.group, event.type, outcome).inc()
            return True

    # -- the loop ---------------------------------------------------------------------------

    async def process_batch(
        self, messages: Sequence[IncomingMessage], stop: asyncio.Event
    ) -> dict[TopicPartition, int]:
        """Handle a fetched batch in order; returns the offsets to commit."""
        done: dict[TopicPartition, int] = {}
        interrupted: set[TopicPartition] = set()
        for message in messages:
            partition = (message.topic, message.partition)
            if partition in interrupted:
                continue
            if await self.handle(message, stop):
                done[partition] = message.offset + 1
            else:
                interrupted.add(partition)
        return done

    async def _start_subscriber(self, stop: asyncio.Event) -> Subscriber | None:
        delay = 0.5
        while not stop.is_set():
            try:
                await self.broker.ensure_topics(
                    [*self.topics, *(dead_letter_topic(t) for t in self.topics)]
                )
                subscriber = self.broker.subscriber(self.group, self.topics)
                await subscriber.start()
                return subscriber
            except BrokerUnavailable as exc:
                log.warning("consumer %s: broker unavailable, retrying: %s", self.group, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
        return None

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; the batch in hand is finished and committed first."""
        subscriber = await self._start_subscriber(stop)
        if subscriber is None:
            return
        self.subscriber = subscriber
        try:
            while not stop.is_set():
                try:
                    messages = await subscriber.fetch(
                        timeout=self.fetch_timeout, max_records=self.batch_size
                    )
                    if not messages:
                        await self._report_lag(subscriber)
                        continue
                    offsets = await self.process_batch(messages, stop)
                    await subscriber.commit(offsets)
                    if len(offsets) < len({(m.topic, m.partition) for m in messages}):
                        await subscriber.rewind()  # unfinished partitions are read again
                    await self._report_lag(subscriber)
                except BrokerUnavailable as exc:
                    log.warning("consumer %s: broker trouble: %s", self.group, exc)
                    await asyncio.sleep(1)
        finally:
            self.subscriber = None
            await subscriber.stop()

    async def _report_lag(self, subscriber: Subscriber) -> None:
        for (topic, partition), lag in (await subscriber.lag()).items():
            metrics.CONSUMER_LAG.labels(self.group, topic, str(partition)).set(lag)
