"""Several handler tables on one consumer group: for a type both know, both run, in order, in
the one transaction the runner opens for the record (so they succeed or fail together)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.events.consumer import Handler
from firesafe_kit.events.envelope import CloudEvent


def _chain(handlers: Sequence[Handler]) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        for handler in handlers:
            await handler(session, event)

    return handle


def merge_handlers(*tables: Mapping[str, Handler]) -> dict[str, Handler]:
    by_type: dict[str, list[Handler]] = {}
    for table in tables:
        for event_type, handler in table.items():
            by_type.setdefault(event_type, []).append(handler)
    return {
        event_type: handlers[0] if len(handlers) == 1 else _chain(handlers)
        for event_type, handlers in by_type.items()
    }
