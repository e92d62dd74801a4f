"""Compounds, buildings and risk premises."""

from __future__ import annotations

from typing import Any

from firesafe_kit.crud.spec import ResourceSpec, WriteContext
from registry.access import same_community, visible_reference
from registry.models import Building, Community, Compound, Grid, Premise
from registry.resources.common import as_event, columns, inside_community
from registry.schemas.places import (
    BuildingCreate,
    BuildingFilters,
    BuildingRead,
    CompoundCreate,
    CompoundFilters,
    CompoundRead,
    PremiseCreate,
    PremiseFilters,
    PremiseRead,
)


async def prepare_compound(
    context: WriteContext, data: CompoundCreate, current: Any
) -> dict[str, Any]:
    session, actor = context.session, context.actor
    await visible_reference(
        session, actor, Community, data.community_id, "community_id", scope="id"
    )
    if data.grid_id:
        grid = await visible_reference(session, actor, Grid, data.grid_id, "grid_id")
        same_community(grid, data.community_id, "grid_id")
    return columns(data)


async def prepare_building(
    context: WriteContext, data: BuildingCreate, current: Any
) -> dict[str, Any]:
    compound = await visible_reference(
        context.session, context.actor, Compound, data.compound_id, "compound_id"
    )
    return columns(data, community_id=compound.community_id)


async def prepare_premise(
    context: WriteContext, data: PremiseCreate, current: Any
) -> dict[str, Any]:
    session, actor = context.session, context.actor
    await visible_reference(
        session, actor, Community, data.community_id, "community_id", scope="id"
    )
    if data.compound_id:
        compound = await visible_reference(
            session, actor, Compound, data.compound_id, "compound_id"
        )
        same_community(compound, data.community_id, "compound_id")
    return columns(data)


COMPOUNDS = ResourceSpec(
    name="compound",
    path="/compounds",
    tag="places",
    model=Compound,
    create=CompoundCreate,
    read=CompoundRead,
    filters=CompoundFilters,
    **inside_community(Compound),
    event_data=as_event(CompoundRead),
    prepare=prepare_compound,
    immutable=["community_id"],
    dependents=[(Building, "compound_id")],
)

BUILDINGS = ResourceSpec(
    name="building",
    path="/buildings",
    tag="places",
    model=Building,
    create=BuildingCreate,
    read=BuildingRead,
    filters=BuildingFilters,
    **inside_community(Building),
    event_data=as_event(BuildingRead),
    prepare=prepare_building,
    immutable=["compound_id"],
)

PREMISES = ResourceSpec(
    name="premise",
    path="/premises",
    tag="places",
    model=Premise,
    create=PremiseCreate,
    read=PremiseRead,
    filters=PremiseFilters,
    **inside_community(Premise),
    event_data=as_event(PremiseRead),
    prepare=prepare_premise,
    immutable=["community_id"],
)
