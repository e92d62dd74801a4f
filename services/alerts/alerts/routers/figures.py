"""`/alerts/figures`: unresolved alerts per community of a scope, in one call (scorecards)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from alerts.figures import alert_figures
from alerts.schemas.figures import FiguresPage, FiguresQuery
from firesafe_kit.app import api_router
from firesafe_kit.auth.dependencies import CurrentActor
from firesafe_kit.auth.jurisdiction import can_access
from firesafe_kit.deps import SessionDep
from firesafe_kit.http.pagination import decode_cursor, encode_cursor
from firesafe_kit.http.problems import BadRequest, NotFound

# Registered before `/alerts/{id}` so that "figures" is never read as an alert id.
router = api_router("/alerts/figures", tags=["alerts"])


@router.get(
    "",
    response_model=FiguresPage,
    name="list_alert_figures",
    summary="Unresolved alerts per community of a district, street or community",
    responses={404: {"description": "the scope is unknown or outside your jurisdiction"}},
)
async def list_alert_figures(
    query: Annotated[FiguresQuery, Query()], session: SessionDep, actor: CurrentActor
) -> FiguresPage:
    kind, node = next(
        (k, v)
        for k, v in (
            ("district", query.district_id),
            ("street", query.street_id),
            ("community", query.community_id),
        )
        if v
    )
    after = None
    if query.cursor is not None:
        after = decode_cursor(query.cursor).get("after")
        if not isinstance(after, str):
            raise BadRequest(code="invalid_cursor", detail="cursor")
    async with session.begin():
        if not await can_access(session, actor, node):
            raise NotFound(detail=f"{kind}:{node}")
        items = await alert_figures(session, f"{kind}:{node}", after, query.limit + 1)
    more = len(items) > query.limit
    items = items[: query.limit]
    cursor = encode_cursor({"after": items[-1].community_id}) if more else None
    return FiguresPage(items=items, next_cursor=cursor)
