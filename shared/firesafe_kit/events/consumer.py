"""The consumer runner: one consumer group, idempotent handlers, offsets after commit,
bounded retries, then a dead-letter topic.

For each record: the inbox row (consumer, ce_source, ce_id) and the handler's effects are
written in one transaction; the offset is committed only after it. A repeat finds the inbox
row and does nothing. A handler that keeps failing sends the record to `<topic>.dlq` with the
error in headers, and the runner moves on. When the database itself is away, the runner
waits for it instead of dead-lettering good records.

A fetched batch is first tried in one transaction (every record's inbox row and effects, in
order): a catch-up then pays one BEGIN/COMMIT per batch, not per record. If anything in it
fails, nothing of it is kept and the batch is processed record by record as above, where
retries, dead letters and waiting for the database apply to the one record at fault.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.clock import utcnow
from firesafe_kit.db import Database, upsert_insert
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

    def _inbox_row(self, event: CloudEvent, at: datetime) -> dict[str, Any]:
        return {
            "consumer": self.group,
            "event_source": event.source,
            "event_id": event.id,
            "event_type": event.type,
            "processed_at": at,
        }

    async def _claim_inbox(
        self, session: AsyncSession, events: Sequence[CloudEvent]
    ) -> set[tuple[str, str]]:
        """(source, id) of the events seen here for the first time: one statement."""
        if not events:
            return set()
        now = utcnow()
        statement = (
            upsert_insert(self.db.dialect, inbox)
            .values([self._inbox_row(e, now) for e in events])
            .on_conflict_do_nothing()
            .returning(inbox.c.event_source, inbox.c.event_id)
        )
        result = await session.execute(statement)
        return {(source, event_id) for source, event_id in result.all()}

    async def _apply(self, handler: Handler, event: CloudEvent) -> bool:
        """Run the handler once in a transaction with its inbox row; False if a repeat."""
        async with self.db.transaction() as session:
            if not await self._claim_inbox(session, [event]):
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

    async def _apply_together(self, messages: Sequence[IncomingMessage]) -> bool:
        """Every record of the batch in one transaction; False (and nothing kept) if any
        record cannot be read or its handler fails."""
        outcomes: list[tuple[str, str]] = []
        try:
            events = [CloudEvent.from_message(message) for message in messages]
            async with self.db.transaction() as session:
                handled = [e for e in events if e.type in self.handlers]
                new = await self._claim_inbox(session, handled)
                for event in events:
                    handler = self.handlers.get(event.type)
                    if handler is None:
                        outcomes.append((event.type, "ignored"))
                        continue
                    if (event.source, event.id) not in new:
                        outcomes.append((event.type, "duplicate"))
                        continue
                    new.discard((event.source, event.id))  # twice in one batch: once
                    request_id_var.set(event.request_id)
                    traceparent_var.set(event.traceparent)
                    await handler(session, event)
                    outcomes.append((event.type, "applied"))
        except Exception as exc:
            log.info(
                "consumer %s: batch of %d retried record by record: %r",
                self.group,
                len(messages),
                exc,
            )
            return False
        for event_type, outcome in outcomes:
            metrics.EVENTS_HANDLED.labels(self.group, event_type, outcome).inc()
        return True

    async def process_batch(
        self, messages: Sequence[IncomingMessage], stop: asyncio.Event
    ) -> dict[TopicPartition, int]:
        """Handle a fetched batch in order; returns the offsets to commit."""
        if len(messages) > 1 and await self._apply_together(messages):
            return {(m.topic, m.partition): m.offset + 1 for m in messages}
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
