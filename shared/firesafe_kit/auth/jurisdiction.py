"""Jurisdiction over the local copy of the administrative tree (`kit_tree_nodes`).

district → street → community → station. Every service keeps the tree from the registry's
events, so access is decided locally. Soft-deleted nodes keep their place in the tree: records
of a removed community stay visible to the officers above it.

Rules: a `city` scope sees everything; otherwise a node is accessible when it or one of its
ancestors is a scope of the actor. A `station` scope also reaches the station's community (its
members work for that community), in `can_access` as in `visible_community_ids`, so a list and
a read of one of its items never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import and_, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from firesafe_kit.auth.actor import Actor, Scope
from firesafe_kit.clock import utcnow
from firesafe_kit.db import upsert_insert
from firesafe_kit.tables import tree_nodes

NodeKind = Literal["district", "street", "community", "station"]
NODE_KINDS: frozenset[str] = frozenset(get_args(NodeKind))
# Deeper than any real tree: a guard against a parent_id cycle in bad data.
_MAX_DEPTH = 8


async def _connection(session: AsyncSession) -> AsyncConnection:
    # Core statements on the session's own connection: same transaction, and no ORM layer
    # (sqlmodel deprecates session.execute for them).
    return await session.connection()


async def upsert_node(
    session: AsyncSession,
    *,
    id: str,
    kind: str,
    parent_id: str | None,
    at: datetime | None = None,
) -> None:
    """Create or replace a node (and undelete it); `at` defaults to now."""
    if kind not in NODE_KINDS:
        raise ValueError(f"unknown tree node kind: {kind!r}")
    connection = await _connection(session)
    values: dict[str, Any] = {
        "id": id,
        "kind": kind,
        "parent_id": parent_id,
        "deleted": False,
        "updated_at": at or utcnow(),
    }
    stmt = upsert_insert(connection.dialect.name, tree_nodes).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[tree_nodes.c.id],
        set_={name: stmt.excluded[name] for name in values if name != "id"},
    )
    await connection.execute(stmt)


async def delete_node(session: AsyncSession, id: str, *, at: datetime | None = None) -> None:
    """Soft delete: the node keeps its place, so the history under it keeps its owners."""
    connection = await _connection(session)
    await connection.execute(
        update(tree_nodes)
        .where(tree_nodes.c.id == id)
        .values(deleted=True, updated_at=at or utcnow())
    )


async def ancestors(session: AsyncSession, node_id: str) -> list[Scope]:
    """The node and its ancestors, self first, up to the district; [] for an unknown node."""
    connection = await _connection(session)
    nodes = tree_nodes
    lineage = (
        select(nodes.c.id, nodes.c.kind, nodes.c.parent_id, literal(0).label("depth"))
        .where(nodes.c.id == node_id)
        .cte("lineage", recursive=True)
    )
    parent = nodes.alias("parent")
    lineage = lineage.union_all(
        select(
            parent.c.id, parent.c.kind, parent.c.parent_id, (lineage.c.depth + 1).label("depth")
        ).where(parent.c.id == lineage.c.parent_id, lineage.c.depth < _MAX_DEPTH)
    )
    rows = (
        await connection.execute(select(lineage.c.id, lineage.c.kind).order_by(lineage.c.depth))
    ).all()
    scopes: list[Scope] = []
    for node, kind in rows:
        if kind not in NODE_KINDS:
            break
        scopes.append(Scope(kind, node))
        if kind == "district":
            break
    return scopes


async def _station_communities(
    connection: AsyncConnection, station_ids: frozenset[str]
) -> set[str]:
    if not station_ids:
        return set()
    rows = await connection.execute(
        select(tree_nodes.c.parent_id).where(
            tree_nodes.c.id.in_(sorted(station_ids)),
            tree_nodes.c.kind == "station",
            tree_nodes.c.parent_id.is_not(None),
        )
    )
    return {parent_id for (parent_id,) in rows}


async def can_access(session: AsyncSession, actor: Actor, node_id: str) -> bool:
    if actor.is_city:
        return True
    if not actor.jurisdiction:
        return False
    lineage = await ancestors(session, node_id)
    if not lineage:
        # The tree may lag behind the registry; a node the actor is scoped to is still its own.
        return any(scope.id == node_id for scope in actor.jurisdiction)
    if any(scope in actor.jurisdiction for scope in lineage):
        return True
    if lineage[0].kind == "community":
        connection = await _connection(session)
        return node_id in await _station_communities(connection, actor.scope_ids("station"))
    return False


async def visible_community_ids(session: AsyncSession, actor: Actor) -> set[str] | None:
    """Communities the actor may see; None means all of them (city scope)."""
    if actor.is_city:
        return None
    connection = await _connection(session)
    visible = set(actor.scope_ids("community"))
    streets, districts = actor.scope_ids("street"), actor.scope_ids("district")
    if streets or districts:
        community, street = tree_nodes.alias("community"), tree_nodes.alias("street")
        under: list[Any] = []
        if streets:
            under.append(community.c.parent_id.in_(sorted(streets)))
        if districts:
            under.append(and_(street.c.kind == "street", street.c.parent_id.in_(sorted(districts))))
        rows = await connection.execute(
            select(community.c.id)
            .select_from(community.outerjoin(street, street.c.id == community.c.parent_id))
            .where(community.c.kind == "community", or_(*under))
        )
        visible.update(node for (node,) in rows)
    visible |= await _station_communities(connection, actor.scope_ids("station"))
    return visible


async def station_community_ids(session: AsyncSession, actor: Actor) -> set[str]:
    """The communities of the actor's station scopes (a station works for its community)."""
    return await _station_communities(await _connection(session), actor.scope_ids("station"))
