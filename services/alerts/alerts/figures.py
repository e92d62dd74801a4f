"""Counting unresolved alerts per community of a district, street or community: one grouped
query, every community of the scope listed (zeros included) from the local copy of the tree."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts.models import Alert
from alerts.notices import communities_in
from alerts.schemas.figures import CommunityAlertFigures


async def alert_figures(
    session: AsyncSession, scope: str, after: str | None, limit: int
) -> list[CommunityAlertFigures]:
    """Communities of `scope` ordered by id, after the cursor's community, at most `limit`."""
    places = [
        p for p in await communities_in(session, scope) if after is None or p.community_id > after
    ]
    ids = [p.community_id for p in places[:limit]]
    if not ids:
        return []
    unresolved = and_(col(Alert.status) != "resolved", col(Alert.community_id).in_(ids))
    grouped = (
        col(Alert.community_id),
        col(Alert.kind),
        col(Alert.severity),
        col(Alert.escalation_level),
    )
    statement = select(*grouped, func.count()).where(unresolved).group_by(*grouped)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    connection = await session.connection()
    for community_id, kind, severity, level, n in await connection.execute(statement):
        counts[community_id]["open"] += n
        counts[community_id]["open_critical"] += n if severity == "critical" else 0
        counts[community_id]["escalated"] += n if level != "community" else 0
        by_kind[community_id][kind] += n
    return [
        CommunityAlertFigures(
            community_id=community_id,
            open=counts[community_id]["open"],
            open_critical=counts[community_id]["open_critical"],
            escalated=counts[community_id]["escalated"],
            open_by_kind=dict(sorted(by_kind[community_id].items())),
        )
        for community_id in ids
    ]
