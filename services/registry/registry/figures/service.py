"""The figures of the visible communities of one district, street or community."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.jurisdiction import can_access
from firesafe_kit.crud.records import get_live
from firesafe_kit.http.pagination import keyset_page
from firesafe_kit.http.problems import NotFound
from registry.access import visible_communities
from registry.figures import queries
from registry.figures.schemas import (
    CommunityFigures,
    FiguresPage,
    FiguresQuery,
    ScopeKind,
    ScopeRead,
)
from registry.models import Community, District, Street

_SCOPES: dict[str, tuple[Any, Any, str]] = {
    # kind -> (model, the community column that selects its communities, its path for a 404)
    "district": (District, Community.district_id, "/districts"),
    "street": (Street, Community.street_id, "/streets"),
    "community": (Community, Community.id, "/communities"),
}

_COMMUNITY_COLUMNS: tuple[Any, ...] = (
    col(Community.id),
    col(Community.code),
    col(Community.name),
    col(Community.street_id),
    col(Community.district_id),
    col(Community.responsible_person),
    col(Community.safety_managers),
    col(Community.fire_pact),
    col(Community.emergency_plan),
    col(Street.code).label("street_code"),
    col(Street.name).label("street_name"),
)

_COUNT_FIELDS = (
    "compounds",
    "compounds_with_property_service",
    "compounds_with_property_service_covered",
    "old_compounds_without_property_service",
    "stations",
    "station_members",
    "stations_with_two_members",
    "facilities",
    "facilities_overdue",
    "key_residents",
    "key_residents_with_smoke_alarm",
)


async def visible_scope(
    session: AsyncSession, actor: Actor, kind: ScopeKind, node_id: str
) -> ScopeRead:
    """The live district, street or community, if the actor's jurisdiction covers it; 404
    otherwise, exactly as a read of that record would answer."""
    model, _, path = _SCOPES[kind]
    record = await get_live(session, model, node_id)
    if record is None or not await can_access(session, actor, node_id):
        raise NotFound(detail=f"{path}/{node_id}")
    return ScopeRead(kind=kind, id=record.id, code=record.code, name=record.name)


def _dated(document: Any, field: str) -> date | None:
    # JSON columns hold the API shape; a cleared document may be SQL NULL or JSON null.
    if not isinstance(document, dict) or not document.get(field):
        return None
    try:
        return date.fromisoformat(str(document[field]))
    except ValueError:  # written before validation was this strict: not a usable document
        return None


def _figures(row: Any, counts: dict[str, int]) -> CommunityFigures:
    pact_on = _dated(row.fire_pact, "adopted_on")
    plan_on = _dated(row.emergency_plan, "updated_on")
    person = row.responsible_person
    managers = row.safety_managers if isinstance(row.safety_managers, list) else []
    return CommunityFigures(
        community_id=row.id,
        code=row.code,
        name=row.name,
        street_id=row.street_id,
        street_code=row.street_code,
        street_name=row.street_name,
        district_id=row.district_id,
        responsible_person_named=isinstance(person, dict) and bool(person.get("name")),
        safety_managers=len(managers),
        fire_pact_adopted=pact_on is not None,
        fire_pact_adopted_on=pact_on,
        emergency_plan_present=plan_on is not None,
        emergency_plan_updated_on=plan_on,
        **{name: counts.get(name, 0) for name in _COUNT_FIELDS},
    )


async def community_figures(
    *, session: AsyncSession, actor: Actor, query: FiguresQuery, today: date
) -> FiguresPage:
    kind, node_id = query.scope
    scope = await visible_scope(session, actor, kind, node_id)
    _, selector, _ = _SCOPES[kind]
    statement = (
        select(*_COMMUNITY_COLUMNS)
        .join(Street, col(Street.id) == col(Community.street_id))
        .where(selector == node_id, col(Community.deleted_at).is_(None))
    )
    visible = await visible_communities(session, actor)
    if visible is not None:
        statement = statement.where(visible)
    rows, next_cursor = await keyset_page(
        session,
        statement,
        sort=col(Community.code),
        id=col(Community.id),
        limit=query.limit,
        cursor=query.cursor,
    )
    ids = [row.id for row in rows]
    counts: dict[str, dict[str, int]] = {community_id: {} for community_id in ids}
    if ids:
        for part in (
            await queries.compound_counts(session, ids),
            await queries.station_counts(session, ids),
            await queries.facility_counts(session, ids, today),
            await queries.key_resident_counts(session, ids),
        ):
            for community_id, values in part.items():
                counts[community_id].update(values)
    return FiguresPage(
        scope=scope,
        as_of=today,
        items=[_figures(row, counts[row.id]) for row in rows],
        next_cursor=next_cursor,
    )
