"""Keeping facts: the newest state of each entity wins, whatever order replays come in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts.facts.sources import FactSource
from alerts.models import Fact
from firesafe_kit.events.envelope import CloudEvent, InvalidEvent


def _is_deletion(event: CloudEvent) -> bool:
    return event.type.endswith(".deleted") or event.data.get("deleted") is True


def _version(event: CloudEvent) -> int | None:
    version = event.data.get("version")
    if version is None:
        return None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidEvent(f"{event.type}: version must be a positive integer")
    return version


async def record_fact(
    session: AsyncSession, source: FactSource, event: CloudEvent, now: datetime
) -> Fact | None:
    """Store what `event` says of its entity; None when it is older than what is known (a
    replay or a late duplicate), so nothing downstream reacts to it."""
    entity_id = event.data.get("id") or event.subject
    community_id = source.community_of(event.data)
    if not isinstance(entity_id, str) or not entity_id or not isinstance(community_id, str):
        raise InvalidEvent(f"{event.type} lacks the entity id or its community_id")
    version = _version(event)
    fact = await session.get(Fact, (source.kind, entity_id))
    if fact is not None:
        if fact.event_id == event.id:
            return None
        if version is not None and fact.version is not None and version <= fact.version:
            return None
    values: dict[str, Any] = {
        "community_id": community_id,
        "version": version,
        "deleted": _is_deletion(event),
        "data": source.fields(event.data),
        "event_id": event.id,
        "updated_at": now,
    }
    if fact is None:
        fact = Fact(kind=source.kind, id=entity_id, **values)
        session.add(fact)
    else:
        for name, value in values.items():
            setattr(fact, name, value)
    await session.flush()
    return fact


async def live_facts(
    session: AsyncSession, community_id: str, kinds: Iterable[str]
) -> dict[str, list[Fact]]:
    """The community's live facts of these kinds, by kind (every kind present, maybe empty)."""
    wanted = sorted(set(kinds))
    view: dict[str, list[Fact]] = {kind: [] for kind in wanted}
    rows = await session.exec(
        select(Fact)
        .where(
            Fact.community_id == community_id,
            col(Fact.kind).in_(wanted),
            col(Fact.deleted).is_(False),
        )
        .order_by(col(Fact.kind), col(Fact.id))
    )
    for fact in rows:
        view[fact.kind].append(fact)
    return view
