"""Who sees and writes what in the registry: visibility of lists, references that must exist,
be live, be visible to the actor, and belong to the same community."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false, or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.jurisdiction import can_access, visible_community_ids
from firesafe_kit.crud.records import Record, get_live
from firesafe_kit.crud.spec import Visibility
from registry.exceptions import DuplicateCode, InvalidReference
from registry.models import Community, District, Street

R = TypeVar("R", bound=Record)

TREE_WRITERS = frozenset({"city_admin", "district_officer", "street_officer"})
COMMUNITY_WRITERS = TREE_WRITERS | {"community_staff"}


async def visible_reference(
    session: AsyncSession,
    actor: Actor,
    model: type[R],
    record_id: str | None,
    *loc: str | int,
    scope: str = "community_id",
) -> R:
    """The referenced live record, if the actor may see it; a 422 naming the field otherwise
    (a record outside one's jurisdiction is reported exactly like a missing one)."""
    record = await get_live(session, model, record_id) if record_id else None
    node = getattr(record, scope, None) if scope != "id" else getattr(record, "id", None)
    if record is None or node is None or not await can_access(session, actor, node):
        raise InvalidReference(*loc)
    return record


def same_community(record: Any, community_id: str, *loc: str | int) -> None:
    if record.community_id != community_id:
        raise InvalidReference(*loc, msg="belongs to another community")


async def unique_code(session: AsyncSession, model: Any, code: str, current: Record | None) -> None:
    statement = select(model.id).where(
        model.code == code,
        model.deleted_at.is_(None),
    )
    existing = (await session.exec(statement)).first()
    if existing is not None and (current is None or existing != current.id):
        raise DuplicateCode(detail=code)


def by_community(model: Any) -> Visibility:
    async def visible(session: AsyncSession, actor: Actor) -> ColumnElement[bool] | None:
        communities = await visible_community_ids(session, actor)
        if communities is None:
            return None
        return model.community_id.in_(communities) if communities else false()

    return visible


async def visible_districts(session: AsyncSession, actor: Actor) -> ColumnElement[bool] | None:
    return None if actor.is_city else District.id.in_(actor.scope_ids("district"))  # type: ignore[attr-defined]


async def visible_streets(session: AsyncSession, actor: Actor) -> ColumnElement[bool] | None:
    if actor.is_city:
        return None
    return or_(
        Street.id.in_(actor.scope_ids("street")),  # type: ignore[attr-defined]
        Street.district_id.in_(actor.scope_ids("district")),  # type: ignore[attr-defined]
    )


async def visible_communities(session: AsyncSession, actor: Actor) -> ColumnElement[bool] | None:
    communities = await visible_community_ids(session, actor)
    if communities is None:
        return None
    return Community.id.in_(communities) if communities else false()  # type: ignore[attr-defined]
