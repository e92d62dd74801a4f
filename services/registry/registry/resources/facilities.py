"""Fixed fire facilities of a compound or one of its buildings."""

from __future__ import annotations

from typing import Any

from firesafe_kit.crud.spec import ResourceSpec, WriteContext
from registry.access import visible_reference
from registry.exceptions import InvalidReference
from registry.models import Building, Compound, Facility
from registry.resources.common import as_event, columns, inside_community
from registry.schemas.facilities import FacilityCreate, FacilityFilters, FacilityRead


async def prepare_facility(
    context: WriteContext, data: FacilityCreate, current: Any
) -> dict[str, Any]:
    session, actor = context.session, context.actor
    compound = await visible_reference(session, actor, Compound, data.compound_id, "compound_id")
    if data.building_id:
        building = await visible_reference(
            session, actor, Building, data.building_id, "building_id"
        )
        if building.compound_id != compound.id:
            raise InvalidReference("building_id", msg="is not a building of this compound")
    return columns(data, community_id=compound.community_id)


FACILITIES = ResourceSpec(
    name="facility",
    path="/facilities",
    tag="facilities",
    model=Facility,
    create=FacilityCreate,
    read=FacilityRead,
    filters=FacilityFilters,
    **inside_community(Facility),
    event_data=as_event(FacilityRead),
    prepare=prepare_facility,
    immutable=["compound_id"],
)
