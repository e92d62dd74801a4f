"""`/alerts`: lists and reads within the caller's jurisdiction, and the two actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Query, Response
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts import lifecycle
from alerts.access import ALERT_HANDLERS, can_see, inbox, visible_alerts
from alerts.deps import ContextDep
from alerts.models import Alert
from alerts.schemas.alerts import AcknowledgeBody, AlertFilters, AlertRead, ResolveBody
from firesafe_kit.app import api_router
from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.dependencies import CurrentActor
from firesafe_kit.crud.listing import page_of, where_equal
from firesafe_kit.crud.records import etag_of
from firesafe_kit.deps import SessionDep
from firesafe_kit.http.etag import IfMatch
from firesafe_kit.http.pagination import Page
from firesafe_kit.http.problems import Forbidden, NotFound

router = api_router("/alerts", tags=["alerts"])
AlertId = Annotated[str, Path(alias="id", max_length=36, description="alert id")]
FILTERED_COLUMNS = (
    "status",
    "kind",
    "severity",
    "community_id",
    "street_id",
    "district_id",
    "escalation_level",
)


async def _visible(session: AsyncSession, actor: Actor, alert_id: str) -> Alert:
    alert = await session.get(Alert, alert_id)
    if alert is None or not await can_see(session, actor, alert):
        raise NotFound(detail=f"/alerts/{alert_id}")
    return alert


def _may_handle(actor: Actor) -> None:
    if not actor.roles & ALERT_HANDLERS:
        raise Forbidden(
            code="forbidden_role", detail=f"needs one of {', '.join(sorted(ALERT_HANDLERS))}"
        )


@router.get("", response_model=Page[AlertRead], name="list_alerts")
async def list_alerts(
    query: Annotated[AlertFilters, Query()], session: SessionDep, actor: CurrentActor
) -> Any:
    """Newest first."""
    async with session.begin():
        statement = where_equal(select(Alert), Alert, query, FILTERED_COLUMNS)
        visible = await visible_alerts(session, actor)
        if visible is not None:
            statement = statement.where(visible)
        if query.inbox:
            statement = statement.where(await inbox(session, actor))
        return await page_of(session, statement, Alert, query, AlertRead, newest_first=True)


@router.get("/{id}", response_model=AlertRead, name="read_alert")
async def read_alert(
    alert_id: AlertId, response: Response, session: SessionDep, actor: CurrentActor
) -> Any:
    async with session.begin():
        alert = await _visible(session, actor, alert_id)
        shown = AlertRead.model_validate(alert)
    response.headers["ETag"] = etag_of(alert)
    return shown


@router.post("/{id}/acknowledge", response_model=AlertRead, name="acknowledge_alert")
async def acknowledge_alert(
    alert_id: AlertId,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    context: ContextDep,
    body: Annotated[AcknowledgeBody | None, Body()] = None,
    if_match: IfMatch = None,
) -> Any:
    """Take charge: stops the climb up the tree. 409 unless the alert is open."""
    body = body or AcknowledgeBody()
    async with session.begin():
        alert = await _visible(session, actor, alert_id)
        _may_handle(actor)
        alert = await lifecycle.acknowledge(
            session,
            context,
            alert,
            by=actor.sub,
            assignee=body.assignee,
            note=body.note,
            if_match=if_match,
        )
        shown = AlertRead.model_validate(alert)
    response.headers["ETag"] = etag_of(alert)
    return shown


@router.post("/{id}/resolve", response_model=AlertRead, name="resolve_alert")
async def resolve_alert(
    alert_id: AlertId,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    context: ContextDep,
    body: Annotated[ResolveBody | None, Body()] = None,
    if_match: IfMatch = None,
) -> Any:
    """Close by hand. If the fact is still there, its next report raises a new alert.
    409 when already resolved."""
    body = body or ResolveBody()
    async with session.begin():
        alert = await _visible(session, actor, alert_id)
        _may_handle(actor)
        alert = await lifecycle.resolve(
            session, context, alert, by=actor.sub, note=body.note, if_match=if_match
        )
        shown = AlertRead.model_validate(alert)
    response.headers["ETag"] = etag_of(alert)
    return shown
