"""Micro fire stations: a station covers only compounds of its own community (rule 3)."""

from __future__ import annotations

from typing import Any

from firesafe_kit.crud.spec import ResourceSpec, WriteContext
from registry.access import same_community, visible_reference
from registry.models import Community, Compound, Station, StationMember
from registry.resources.common import as_event, columns, inside_community, keeps_tree
from registry.schemas.stations import StationCreate, StationFilters, StationRead


async def prepare_station(
    context: WriteContext, data: StationCreate, current: Any
) -> dict[str, Any]:
    session, actor = context.session, context.actor
    await visible_reference(
        session, actor, Community, data.community_id, "community_id", scope="id"
    )
    for index, compound_id in enumerate(data.compound_ids):
        compound = await visible_reference(
            session, actor, Compound, compound_id, "compound_ids", index
        )
        same_community(compound, data.community_id, "compound_ids", index)
    return columns(data)


STATIONS = ResourceSpec(
    name="station",
    path="/stations",
    tag="stations",
    model=Station,
    create=StationCreate,
    read=StationRead,
    filters=StationFilters,
    **inside_community(Station),
    event_data=as_event(StationRead),
    prepare=prepare_station,
    after_write=keeps_tree("station", "community_id"),
    immutable=["community_id"],
    dependents=[(StationMember, "station_id")],
)
