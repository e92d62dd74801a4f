"""`/figures/communities`: the raw creation figures of every visible community of a district,
street or community in one call (the gateway's scorecards read it; never one call each)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query

from firesafe_kit.app import api_router
from firesafe_kit.auth.dependencies import CurrentActor
from firesafe_kit.deps import RuntimeDep, SessionDep
from registry.figures.schemas import FiguresPage, FiguresQuery
from registry.figures.service import community_figures

router = api_router("/figures", tags=["figures"])


@router.get(
    "/communities",
    response_model=FiguresPage,
    name="list_community_figures",
    summary="Creation figures per community of a district, street or community",
    responses={404: {"description": "the scope does not exist or is outside your jurisdiction"}},
)
async def list_community_figures(
    query: Annotated[FiguresQuery, Query()],
    session: SessionDep,
    actor: CurrentActor,
    runtime: RuntimeDep,
) -> FiguresPage:
    # "Overdue" is a calendar rule: today where the platform is, not in UTC.
    today = datetime.now(runtime.settings.zone).date()
    async with session.begin():
        return await community_figures(session=session, actor=actor, query=query, today=today)
