"""Keeping facts: the newest state of each entity wins, whatever order replays come in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts.facts.sources import FactSource
from alerts.models import Fact
from firesafe_kit.db import upsert_insert
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


@dataclass(frozen=True)
class Recorded:
    """The entity a fact was stored for."""

    kind: str
    id: str
    community_id: str


async def record_fact(
    session: AsyncSession, source: FactSource, event: CloudEvent, now: datetime
) -> Recorded | None:
    """Store what `event` says of its entity; None when it is older than what is known (a
    replay or a late duplicate), so nothing downstream reacts to it.

    One statement: insert, or update only if the event is newer (a higher version, or no
    version to compare) and not the one already stored."""
    entity_id = event.data.get("id") or event.subject
    community_id = source.community_of(event.data)
    if not isinstance(entity_id, str) or not entity_id or not isinstance(community_id, str):
        raise InvalidEvent(f"{event.type} lacks the entity id or its community_id")
    values: dict[str, Any] = {
        "community_id": community_id,
        "version": _version(event),
        "deleted": _is_deletion(event),
        "data": source.fields(event.data),
        "event_id": event.id,
        "updated_at": now,
    }
    table = Fact.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    insert = upsert_insert(connection.dialect.name, table).values(
        kind=source.kind, id=entity_id, **values
    )
    incoming = insert.excluded
    newer = and_(
        table.c.event_id != incoming.event_id,
        or_(
            table.c.version.is_(None),
            incoming.version.is_(None),
            incoming.version > table.c.version,
        ),
    )
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.kind, table.c.id], set_=values, where=newer
    ).returning(table.c.kind)
    stored = (await connection.execute(statement)).first()
    return Recorded(source.kind, entity_id, community_id) if stored is not None else None


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
        # Facts are written with Core upserts: objects loaded earlier in this transaction
        # (a consumer's batch) must take the stored values, not keep their old ones.
        .execution_options(populate_existing=True)
    )
    for fact in rows:
        view[fact.kind].append(fact)
    return view
