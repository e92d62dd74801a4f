"""Publishing a notice: one `notice` alert per community in its scope, and the event."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts import lifecycle
from alerts.context import AlertsContext
from alerts.models import Notice
from alerts.publishing import publish
from firesafe_kit.crud.records import update_versioned
from firesafe_kit.tables import tree_nodes

NOTICE_KIND = "notice"


@dataclass(frozen=True)
class Place:
    community_id: str
    street_id: str | None
    district_id: str | None


async def communities_in(session: AsyncSession, scope: str) -> list[Place]:
    """Live communities under `scope` ("city" or "<kind>:<id>"), from the local tree."""
    community, street = tree_nodes.alias("community"), tree_nodes.alias("street")
    statement = (
        select(community.c.id, street.c.id, street.c.parent_id)
        .select_from(community.outerjoin(street, street.c.id == community.c.parent_id))
        .where(community.c.kind == "community", community.c.deleted.is_(False))
        .order_by(community.c.id)
    )
    kind, _, node_id = scope.partition(":")
    if kind == "community":
        statement = statement.where(community.c.id == node_id)
    elif kind == "street":
        statement = statement.where(street.c.id == node_id)
    elif kind == "district":
        statement = statement.where(and_(street.c.kind == "street", street.c.parent_id == node_id))
    rows = (await (await session.connection()).execute(statement)).all()
    return [Place(c, s, d) for c, s, d in rows]


async def publish_notice(session: AsyncSession, context: AlertsContext, notice: Notice) -> Notice:
    places = await communities_in(session, notice.scope)
    for place in places:
        key = f"{NOTICE_KIND}:{notice.id}:{place.community_id}"
        if await lifecycle.open_alert(session, key) is not None:
            continue
        await lifecycle.raise_alert(
            session,
            context,
            event_id=None,
            kind=NOTICE_KIND,
            severity="info",
            dedup_key=key,
            community_id=place.community_id,
            street_id=place.street_id,
            district_id=place.district_id,
            subject_type="notice",
            subject_id=notice.id,
            title=notice.title,
            detail=notice.body[:2000],
        )
    now = context.clock.now()
    changes = {"status": "published", "published_at": now, "community_count": len(places)}
    notice = await update_versioned(session, notice, changes, if_match=None)
    await publish(
        session,
        context.outbox,
        context.clock,
        entity_verb="notice.published",
        subject=notice.id,
        data={
            "id": notice.id,
            "title": notice.title,
            "body": notice.body,
            "scope": notice.scope,
            "topic": notice.topic,
            "published_at": now.isoformat(),
            "community_ids": [place.community_id for place in places],
        },
        community_id=notice.scope_id if notice.scope.startswith("community:") else None,
        street_id=notice.street_id,
        district_id=notice.district_id,
        partition_key=notice.id,
    )
    return notice
