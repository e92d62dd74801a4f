"""One aggregate statement per table, grouped by community, for a page of communities: the
cost of a page is a handful of statements whatever its size, never one per community."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.figures.json_sql import field_of, object_elements, text_elements
from registry.models import Compound, Facility, KeyResident, Station, StationMember

Counts = dict[str, dict[str, int]]  # community id -> figure name -> count


def _live(model: Any) -> ColumnElement[bool]:
    return col(model.deleted_at).is_(None)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def _grouped(session: AsyncSession, statement: Any, names: Sequence[str]) -> Counts:
    rows = (await session.execute(statement)).all()
    return {row[0]: {name: int(row[i + 1] or 0) for i, name in enumerate(names)} for row in rows}


async def compound_counts(session: AsyncSession, community_ids: Sequence[str]) -> Counts:
    """Compounds, those with property service, those of them a live station of the same
    community lists in its `compound_ids` (rule 3), old ones without property service."""
    listed = text_elements(_dialect(session), col(Station.compound_ids), "listed")
    covered = exists(
        select(literal(1))
        .select_from(Station)
        .join(listed, listed.c.value == col(Compound.id))
        .where(_live(Station), col(Station.community_id) == col(Compound.community_id))
    )
    with_service = col(Compound.has_property_service).is_(True)
    old_without = and_(
        col(Compound.is_old).is_(True), col(Compound.has_property_service).is_(False)
    )
    statement = (
        select(
            col(Compound.community_id),
            func.count(),
            func.count().filter(with_service),
            func.count().filter(with_service, covered),
            func.count().filter(old_without),
        )
        .where(_live(Compound), col(Compound.community_id).in_(community_ids))
        .group_by(col(Compound.community_id))
    )
    names = (
        "compounds",
        "compounds_with_property_service",
        "compounds_with_property_service_covered",
        "old_compounds_without_property_service",
    )
    return await _grouped(session, statement, names)


async def station_counts(session: AsyncSession, community_ids: Sequence[str]) -> Counts:
    """Live stations, their live members, and stations with at least 2 members (rule 4 hint)."""
    members = (
        select(col(StationMember.station_id), func.count().label("members"))
        .where(_live(StationMember), col(StationMember.community_id).in_(community_ids))
        .group_by(col(StationMember.station_id))
        .subquery("members")
    )
    statement = (
        select(
            col(Station.community_id),
            func.count(),
            func.coalesce(func.sum(members.c.members), 0),
            func.count().filter(func.coalesce(members.c.members, 0) >= 2),
        )
        .select_from(Station)
        .outerjoin(members, members.c.station_id == col(Station.id))
        .where(_live(Station), col(Station.community_id).in_(community_ids))
        .group_by(col(Station.community_id))
    )
    return await _grouped(
        session, statement, ("stations", "station_members", "stations_with_two_members")
    )


async def facility_counts(
    session: AsyncSession, community_ids: Sequence[str], today: date
) -> Counts:
    """Fixed facilities of live compounds, and those whose next test is past due (rule 5)."""
    statement = (
        select(
            col(Facility.community_id),
            func.count(),
            func.count().filter(col(Facility.next_test_due) < today),
        )
        .join(Compound, and_(col(Compound.id) == col(Facility.compound_id), _live(Compound)))
        .where(_live(Facility), col(Facility.community_id).in_(community_ids))
        .group_by(col(Facility.community_id))
    )
    return await _grouped(session, statement, ("facilities", "facilities_overdue"))


async def key_resident_counts(session: AsyncSession, community_ids: Sequence[str]) -> Counts:
    """Key residents, and those with a smoke alarm among their home devices (rule 6)."""
    devices = object_elements(_dialect(session), col(KeyResident.devices), "device")
    has_alarm = exists(
        select(literal(1)).select_from(devices).where(field_of(devices, "kind") == "smoke_alarm")
    )
    statement = (
        select(col(KeyResident.community_id), func.count(), func.count().filter(has_alarm))
        .where(_live(KeyResident), col(KeyResident.community_id).in_(community_ids))
        .group_by(col(KeyResident.community_id))
    )
    return await _grouped(session, statement, ("key_residents", "key_residents_with_smoke_alarm"))
