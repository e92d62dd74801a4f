"""`/api/v1/scorecards/{communities|streets|districts}/{id}`: JSON, or CSV on
`Accept: text/csv`. Every scorecard is one fan-out per source, whatever the number of
communities, and is read with the caller's identity (404 outside the caller's jurisdiction)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from gateway.scorecards.build import build_scorecard
from gateway.scorecards.collect import collect
from gateway.scorecards.csv_export import MEDIA_TYPE, filename, scorecard_csv
from gateway.scorecards.negotiation import wants_csv
from gateway.scorecards.provider import Scope, ScopeKind
from gateway.scorecards.schemas import Scorecard
from gateway.scorecards.sources import PROVIDERS
from gateway.scorecards.upstream import UpstreamReader

router = APIRouter(prefix="/api/v1/scorecards", tags=["scorecards"])

# As the registry's ids: a UUID (or a readable ASCII id); anything else is a 422 here.
ScopeId = Annotated[
    str,
    Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_.-]+$", description="registry id"),
]
_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    404: {"description": "unknown, or outside the caller's jurisdiction"},
    502: {"description": "a source answered badly"},
    503: {"description": "a source is unavailable"},
    504: {"description": "a source timed out"},
}


async def _scorecard(request: Request, kind: ScopeKind, scope_id: str) -> Scorecard | Response:
    reader = UpstreamReader(request)
    services = request.app.state.settings.routes.values()
    card = build_scorecard(await collect(reader, Scope(kind, scope_id), PROVIDERS, services))
    if not wants_csv(request.headers.get("accept")):
        return card
    return Response(
        scorecard_csv(card),
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename(card)}"',
            "Vary": "Accept",
        },
    )


@router.get(
    "/communities/{community_id}",
    response_model=Scorecard,
    responses=_RESPONSES,
    name="community_scorecard",
    summary="Creation scorecard of a community (DOMAIN.md rules 1–8)",
)
async def community_scorecard(request: Request, community_id: ScopeId) -> Scorecard | Response:
    return await _scorecard(request, "community", community_id)


@router.get(
    "/streets/{street_id}",
    response_model=Scorecard,
    responses=_RESPONSES,
    name="street_scorecard",
    summary="Creation scorecard of a street or town, its communities ranked",
)
async def street_scorecard(request: Request, street_id: ScopeId) -> Scorecard | Response:
    return await _scorecard(request, "street", street_id)


@router.get(
    "/districts/{district_id}",
    response_model=Scorecard,
    responses=_RESPONSES,
    name="district_scorecard",
    summary="Creation scorecard of a district, its communities and streets ranked",
)
async def district_scorecard(request: Request, district_id: ScopeId) -> Scorecard | Response:
    return await _scorecard(request, "district", district_id)
