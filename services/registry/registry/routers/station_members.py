"""`/stations/{id}/members`: who staffs a micro fire station (rule 4 counts them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response
from sqlmodel import col, select

from firesafe_kit.app import api_router
from firesafe_kit.auth.dependencies import CurrentActor
from firesafe_kit.clock import utcnow
from firesafe_kit.crud.records import etag_of, get_live, update_versioned
from firesafe_kit.crud.router import load_visible, require_write_role
from firesafe_kit.deps import RuntimeDep, SessionDep
from firesafe_kit.http.etag import IfMatch
from firesafe_kit.http.pagination import Cursor, Limit, Page, keyset_page
from firesafe_kit.http.problems import NotFound
from registry.exceptions import StationHasHead
from registry.models import StationMember
from registry.resources.stations import STATIONS
from registry.schemas.stations import MemberCreate, MemberRead

router = api_router("/stations/{station_id}/members", tags=["stations"])
StationId = Annotated[str, Path(description="station id")]


def member_event(member: StationMember) -> dict[str, object]:
    # Staff are named in the registry, not in events: consumers count members by role.
    return {
        "id": member.id,
        "station_id": member.station_id,
        "community_id": member.community_id,
        "role": member.role,
        "employment": member.employment,
        "trained_on": member.trained_on.isoformat() if member.trained_on else None,
    }


@router.get("", response_model=Page[MemberRead], name="list_station_members")
async def list_members(
    station_id: StationId,
    session: SessionDep,
    actor: CurrentActor,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, object]:
    async with session.begin():
        await load_visible(session, STATIONS, station_id, actor)
        statement = select(StationMember).where(
            StationMember.station_id == station_id,
            StationMember.deleted_at.is_(None),  # type: ignore[union-attr]
        )
        rows, next_cursor = await keyset_page(
            session,
            statement,
            sort=col(StationMember.created_at),
            id=col(StationMember.id),
            limit=limit,
            cursor=cursor,
        )
    return {"items": [MemberRead.model_validate(r) for r in rows], "next_cursor": next_cursor}


@router.post("", status_code=201, response_model=MemberRead, name="add_station_member")
async def add_member(
    station_id: StationId,
    body: MemberCreate,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    runtime: RuntimeDep,
) -> MemberRead:
    async with session.begin():
        station = await load_visible(session, STATIONS, station_id, actor)
        require_write_role(STATIONS, actor)
        if body.role == "head":
            head = (
                await session.exec(
                    select(StationMember.id).where(
                        StationMember.station_id == station_id,
                        StationMember.role == "head",
                        StationMember.deleted_at.is_(None),  # type: ignore[union-attr]
                    )
                )
            ).first()
            if head is not None:
                raise StationHasHead(detail=station_id)
        member = StationMember(
            station_id=station.id,
            community_id=station.community_id,  # type: ignore[attr-defined]
            **body.model_dump(),
        )
        session.add(member)
        await session.flush()
        await runtime.outbox.publish(
            session,
            type="firesafe.registry.station.member.added",
            subject=member.id,
            data=member_event(member),
            partition_key=member.community_id,
        )
        shown = MemberRead.model_validate(member)
    response.headers["Location"] = f"/api/v1/stations/{station_id}/members/{member.id}"
    response.headers["ETag"] = etag_of(member)
    return shown


@router.delete("/{member_id}", status_code=204, name="remove_station_member")
async def remove_member(
    station_id: StationId,
    member_id: str,
    session: SessionDep,
    actor: CurrentActor,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
) -> Response:
    async with session.begin():
        await load_visible(session, STATIONS, station_id, actor)
        require_write_role(STATIONS, actor)
        member = await get_live(session, StationMember, member_id)
        if member is None or member.station_id != station_id:
            raise NotFound(detail=f"/stations/{station_id}/members/{member_id}")
        await update_versioned(session, member, {"deleted_at": utcnow()}, if_match=if_match)
        await runtime.outbox.publish(
            session,
            type="firesafe.registry.station.member.removed",
            subject=member.id,
            data=member_event(member),
            partition_key=member.community_id,
        )
    return Response(status_code=204)
