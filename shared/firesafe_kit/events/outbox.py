"""The transactional outbox: an event is a row written in the caller's transaction.

Nothing is sent inside a request; the relay publishes committed rows. So there is no event
without its change and no change without its event.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.events.catalog import dataschema_uri
from firesafe_kit.events.envelope import CloudEvent
from firesafe_kit.observability.context import current_request_id, current_traceparent
from firesafe_kit.tables import outbox

_WAKE_KEY = "firesafe_outbox_wake"


class OutboxWriter:
    """Records a service's events on its own topic, stamped with its CloudEvents source."""

    def __init__(self, *, service: str, topic: str) -> None:
        self.service = service
        self.source = f"/firesafe/{service}"
        self.source_prefix = (
            f"firesafe.{service}"  # event types: firesafe.<service>.<entity>.<verb>
        )
        self.topic = topic
        # Set after a commit that wrote rows: the relay wakes at once instead of polling.
        self.committed = asyncio.Event()

    def event(
        self,
        *,
        type: str,
        subject: str,
        data: dict[str, Any],
        partition_key: str | None,
        dataschema: str | None = None,
    ) -> CloudEvent:
        return CloudEvent(
            type=type,
            source=self.source,
            subject=subject,
            data=data,
            partitionkey=partition_key,
            dataschema=dataschema or dataschema_uri(self.service, type),
            traceparent=current_traceparent(),
            request_id=current_request_id(),
        )

    async def add(
        self, session: AsyncSession, cloud_event: CloudEvent, *, topic: str | None = None
    ) -> None:
        """Add the event to the session's open transaction (the caller commits)."""
        row = outbox_row(cloud_event, topic or self.topic)
        await session.execute(insert(outbox).values(**row))
        session.sync_session.info[_WAKE_KEY] = self.committed

    def buffered(self) -> BufferedOutbox:
        """A writer for bulk work (imports): same events, one multi-row INSERT at the end."""
        return BufferedOutbox(self)

    async def publish(
        self,
        session: AsyncSession,
        *,
        type: str,
        subject: str,
        data: dict[str, Any],
        partition_key: str | None,
    ) -> CloudEvent:
        cloud_event = self.event(type=type, subject=subject, data=data, partition_key=partition_key)
        await self.add(session, cloud_event)
        return cloud_event


class BufferedOutbox(OutboxWriter):
    """Collects the rows `add` would write; `write` adds them all to the session's transaction
    in one statement (one INSERT per event made a 5,000-row import four times slower)."""

    def __init__(self, writer: OutboxWriter) -> None:
        super().__init__(service=writer.service, topic=writer.topic)
        self.committed = writer.committed  # the relay's wake-up
        self._rows: list[dict[str, Any]] = []

    async def add(
        self, session: AsyncSession, cloud_event: CloudEvent, *, topic: str | None = None
    ) -> None:
        self._rows.append(outbox_row(cloud_event, topic or self.topic))

    async def write(self, session: AsyncSession) -> None:
        if self._rows:
            await session.execute(insert(outbox), self._rows)
            session.sync_session.info[_WAKE_KEY] = self.committed
            self._rows = []


def outbox_row(cloud_event: CloudEvent, topic: str) -> dict[str, Any]:
    return {
        "topic": topic,
        "partition_key": cloud_event.partitionkey,
        "event_id": cloud_event.id,
        "event_type": cloud_event.type,
        "headers": json.dumps([[k, v.decode()] for k, v in cloud_event.headers()]),
        "payload": cloud_event.value().decode(),
        "created_at": cloud_event.time,
    }


@event.listens_for(Session, "after_commit")
def _wake_relay(session: Session) -> None:
    wake = session.info.pop(_WAKE_KEY, None)
    if wake is not None:
        wake.set()


@event.listens_for(Session, "after_rollback")
def _forget_wake(session: Session) -> None:
    session.info.pop(_WAKE_KEY, None)
