"""Districts, streets, communities, grids."""

from __future__ import annotations

from typing import Any

from firesafe_kit.crud.records import get_live
from firesafe_kit.crud.spec import ResourceSpec, WriteContext
from registry.access import (
    COMMUNITY_WRITERS,
    TREE_WRITERS,
    unique_code,
    visible_communities,
    visible_districts,
    visible_reference,
    visible_streets,
)
from registry.exceptions import RuleViolation
from registry.models import Community, District, Grid, Street
from registry.resources.common import as_event, columns, inside_community, keeps_tree
from registry.schemas.tree import (
    CommunityCreate,
    CommunityFilters,
    CommunityRead,
    DistrictCreate,
    DistrictFilters,
    DistrictRead,
    GridCreate,
    GridFilters,
    GridRead,
    StreetCreate,
    StreetFilters,
    StreetRead,
)
from registry.validators import community_code_belongs, street_code_belongs


async def parent(
    context: WriteContext, model: Any, parent_id: str, field: str, current: Any
) -> Any:
    """The parent a new node goes under must be visible to the actor. An update keeps its parent
    (it is immutable), which the actor need not see: community staff edit their community."""
    if current is None:
        return await visible_reference(
            context.session, context.actor, model, parent_id, field, scope="id"
        )
    return await get_live(context.session, model, parent_id)


async def prepare_district(
    context: WriteContext, data: DistrictCreate, current: Any
) -> dict[str, Any]:
    await unique_code(context.session, District, data.code, current)
    return columns(data)


async def prepare_street(context: WriteContext, data: StreetCreate, current: Any) -> dict[str, Any]:
    district = await parent(context, District, data.district_id, "district_id", current)
    if not street_code_belongs(data.code, district.code):
        raise RuleViolation(
            "code", msg=f"a street code starts with its district's code {district.code}"
        )
    await unique_code(context.session, Street, data.code, current)
    return columns(data)


async def prepare_community(
    context: WriteContext, data: CommunityCreate, current: Any
) -> dict[str, Any]:
    street = await parent(context, Street, data.street_id, "street_id", current)
    if not community_code_belongs(data.code, street.code):
        raise RuleViolation(
            "code", msg=f"a community code starts with its street's code {street.code}"
        )
    await unique_code(context.session, Community, data.code, current)
    return columns(data, district_id=street.district_id)


async def prepare_grid(context: WriteContext, data: GridCreate, current: Any) -> dict[str, Any]:
    await visible_reference(
        context.session, context.actor, Community, data.community_id, "community_id", scope="id"
    )
    return columns(data)


DISTRICTS = ResourceSpec(
    name="district",
    path="/districts",
    tag="tree",
    model=District,
    create=DistrictCreate,
    read=DistrictRead,
    filters=DistrictFilters,
    write_roles=frozenset({"city_admin"}),
    update_roles=frozenset({"city_admin", "district_officer"}),
    own_scope=lambda record: record.id,
    partition_key=lambda record: record.id,
    event_data=as_event(DistrictRead),
    visibility=visible_districts,
    prepare=prepare_district,
    after_write=keeps_tree("district", None),
    dependents=[(Street, "district_id")],
)

STREETS = ResourceSpec(
    name="street",
    path="/streets",
    tag="tree",
    model=Street,
    create=StreetCreate,
    read=StreetRead,
    filters=StreetFilters,
    write_roles=frozenset({"city_admin", "district_officer"}),
    update_roles=TREE_WRITERS,
    own_scope=lambda record: record.id,
    partition_key=lambda record: record.id,
    event_data=as_event(StreetRead),
    visibility=visible_streets,
    prepare=prepare_street,
    after_write=keeps_tree("street", "district_id"),
    immutable=["district_id"],
    dependents=[(Community, "street_id")],
)

COMMUNITIES = ResourceSpec(
    name="community",
    path="/communities",
    tag="tree",
    model=Community,
    create=CommunityCreate,
    read=CommunityRead,
    filters=CommunityFilters,
    write_roles=TREE_WRITERS,
    update_roles=COMMUNITY_WRITERS,  # the residents' committee keeps its own record current
    own_scope=lambda record: record.id,
    partition_key=lambda record: record.id,
    event_data=as_event(CommunityRead),
    visibility=visible_communities,
    prepare=prepare_community,
    after_write=keeps_tree("community", "street_id"),
    immutable=["street_id"],
)

GRIDS = ResourceSpec(
    name="grid",
    path="/grids",
    tag="tree",
    model=Grid,
    create=GridCreate,
    read=GridRead,
    filters=GridFilters,
    **inside_community(Grid),
    event_data=as_event(GridRead),
    prepare=prepare_grid,
    immutable=["community_id"],
)
