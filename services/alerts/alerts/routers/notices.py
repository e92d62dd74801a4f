"""`/notices`: broadcasts to a part of the tree, now or at `publish_at`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response
from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts.access import NOTICE_WRITERS
from alerts.deps import ContextDep
from alerts.lifecycle import TransitionNotAllowed
from alerts.models import Notice
from alerts.notices import publish_notice
from alerts.schemas.notices import NoticeCreate, NoticeFilters, NoticeRead
from firesafe_kit.app import api_router
from firesafe_kit.auth.actor import Actor, Scope
from firesafe_kit.auth.dependencies import CurrentActor
from firesafe_kit.auth.jurisdiction import ancestors, can_access, visible_community_ids
from firesafe_kit.crud.listing import page_of, where_equal
from firesafe_kit.crud.records import etag_of, update_versioned
from firesafe_kit.deps import SessionDep
from firesafe_kit.http.etag import IfMatch
from firesafe_kit.http.pagination import Page
from firesafe_kit.http.problems import Forbidden, NotFound, Unprocessable

router = api_router("/notices", tags=["notices"])
NoticeId = Annotated[str, Path(alias="id", max_length=36, description="notice id")]


class UnknownScope(Unprocessable):
    code = "unknown_scope"
    title_zh = "通知范围不存在或不在管辖范围内"
    title_en = "The notice scope does not exist or is outside your jurisdiction"


async def _place_of_scope(session: AsyncSession, actor: Actor, scope: str) -> dict[str, Any]:
    """The scope's node with its street and district; 422 when unknown or not the actor's
    (the two are reported alike: nodes outside one's jurisdiction are not revealed)."""
    if scope == "city":
        if not actor.is_city:
            raise UnknownScope(detail=scope, errors=[_scope_error()])
        return {"scope_id": None, "street_id": None, "district_id": None}
    node = Scope.parse(scope)
    lineage = await ancestors(session, node.id or "")
    if (
        not lineage
        or lineage[0].kind != node.kind
        or not await can_access(session, actor, node.id or "")
    ):
        raise UnknownScope(detail=scope, errors=[_scope_error()])
    by_kind = {item.kind: item.id for item in lineage}
    return {
        "scope_id": node.id,
        "street_id": by_kind.get("street"),
        "district_id": by_kind.get("district"),
    }


def _scope_error() -> dict[str, Any]:
    return {"loc": ["body", "scope"], "msg": "unknown scope", "type": "unknown_scope"}


async def _visible_notices(session: AsyncSession, actor: Actor) -> ColumnElement[bool] | None:
    """Notices for the whole city, for a part of the tree above the caller (their street,
    their district) and for anything inside the caller's jurisdiction."""
    if actor.is_city:
        return None
    above: set[str] = set()
    for scope in actor.jurisdiction:
        above.update(str(item) for item in await ancestors(session, scope.id or ""))
    communities = await visible_community_ids(session, actor) or set()
    return or_(
        col(Notice.scope) == "city",
        col(Notice.scope).in_(sorted(above)),
        col(Notice.scope).in_(sorted(f"community:{c}" for c in communities)),
        col(Notice.street_id).in_(sorted(actor.scope_ids("street"))),
        col(Notice.district_id).in_(sorted(actor.scope_ids("district"))),
    )


async def _visible(session: AsyncSession, actor: Actor, notice_id: str) -> Notice:
    statement = select(Notice).where(Notice.id == notice_id)
    visible = await _visible_notices(session, actor)
    if visible is not None:
        statement = statement.where(visible)
    notice = (await session.exec(statement)).first()
    if notice is None:
        raise NotFound(detail=f"/notices/{notice_id}")
    return notice


@router.post("", status_code=201, response_model=NoticeRead, name="create_notice")
async def create_notice(
    body: NoticeCreate,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    context: ContextDep,
) -> Any:
    """Published at once (absent or past `publish_at`), or by the scheduler when due."""
    if not actor.roles & NOTICE_WRITERS:
        raise Forbidden(code="forbidden_role", detail=f"needs one of {sorted(NOTICE_WRITERS)}")
    async with session.begin():
        place = await _place_of_scope(session, actor, body.scope)
        notice = Notice(**body.model_dump(), **place, created_by=actor.sub)
        session.add(notice)
        await session.flush()
        if body.publish_at is None or body.publish_at <= context.clock.now():
            notice = await publish_notice(session, context, notice)
        shown = NoticeRead.model_validate(notice)
    response.headers["ETag"] = etag_of(notice)
    response.headers["Location"] = f"/api/v1/notices/{notice.id}"
    return shown


@router.get("", response_model=Page[NoticeRead], name="list_notices")
async def list_notices(
    query: Annotated[NoticeFilters, Query()], session: SessionDep, actor: CurrentActor
) -> Any:
    """Newest first."""
    async with session.begin():
        statement = where_equal(select(Notice), Notice, query)
        visible = await _visible_notices(session, actor)
        if visible is not None:
            statement = statement.where(visible)
        return await page_of(session, statement, Notice, query, NoticeRead, newest_first=True)


@router.get("/{id}", response_model=NoticeRead, name="read_notice")
async def read_notice(
    notice_id: NoticeId, response: Response, session: SessionDep, actor: CurrentActor
) -> Any:
    async with session.begin():
        notice = await _visible(session, actor, notice_id)
        shown = NoticeRead.model_validate(notice)
    response.headers["ETag"] = etag_of(notice)
    return shown


@router.post("/{id}/cancel", response_model=NoticeRead, name="cancel_notice")
async def cancel_notice(
    notice_id: NoticeId,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    if_match: IfMatch = None,
) -> Any:
    """Withdraw a scheduled notice before it goes out; 409 once published or cancelled."""
    async with session.begin():
        notice = await _visible(session, actor, notice_id)
        if not actor.roles & NOTICE_WRITERS:
            raise Forbidden(code="forbidden_role", detail=f"needs one of {sorted(NOTICE_WRITERS)}")
        if notice.status != "scheduled":
            raise TransitionNotAllowed(detail=f"a {notice.status} notice cannot be cancelled")
        notice = await update_versioned(session, notice, {"status": "cancelled"}, if_match=if_match)
        shown = NoticeRead.model_validate(notice)
    response.headers["ETag"] = etag_of(notice)
    return shown
