from __future__ import annotations

import pytest
from sqlalchemy import select

from firesafe_kit.auth.actor import Actor, Scope
from firesafe_kit.auth.jurisdiction import (
    ancestors,
    can_access,
    delete_node,
    upsert_node,
    visible_community_ids,
)
from firesafe_kit.db import Database
from firesafe_kit.tables import tree_nodes

# d1 ─┬─ s1 ── c1 ── st1, st2
#     └─ s2 ── c2
# d2 ─── s3 ── c3 ── st3
TREE = [
    ("d1", "district", None),
    ("s1", "street", "d1"),
    ("s2", "street", "d1"),
    ("c1", "community", "s1"),
    ("c2", "community", "s2"),
    ("st1", "station", "c1"),
    ("st2", "station", "c1"),
    ("d2", "district", None),
    ("s3", "street", "d2"),
    ("c3", "community", "s3"),
    ("st3", "station", "c3"),
]
NODES = [node for node, _, _ in TREE]


@pytest.fixture
async def tree(db: Database) -> Database:
    async with db.transaction() as session:
        # Children before parents on purpose: events do not arrive in tree order.
        for node, kind, parent in reversed(TREE):
            await upsert_node(session, id=node, kind=kind, parent_id=parent)
    return db


def actor(*scopes: str) -> Actor:
    return Actor(
        sub="u",
        name="u",
        roles=frozenset({"viewer"}),
        jurisdiction=tuple(Scope.parse(s) for s in scopes),
    )


async def test_ancestors_self_first_up_to_the_district(tree: Database) -> None:
    async with tree.session() as session:
        assert await ancestors(session, "st1") == [
            Scope("station", "st1"),
            Scope("community", "c1"),
            Scope("street", "s1"),
            Scope("district", "d1"),
        ]
        assert await ancestors(session, "s2") == [Scope("street", "s2"), Scope("district", "d1")]
        assert await ancestors(session, "d2") == [Scope("district", "d2")]
        assert await ancestors(session, "nope") == []


@pytest.mark.parametrize(
    ("scopes", "accessible", "communities"),
    [
        (("city",), set(NODES), None),
        (("district:d1",), {"d1", "s1", "s2", "c1", "c2", "st1", "st2"}, {"c1", "c2"}),
        (("street:s1",), {"s1", "c1", "st1", "st2"}, {"c1"}),
        (("street:s2",), {"s2", "c2"}, {"c2"}),
        (("community:c1",), {"c1", "st1", "st2"}, {"c1"}),
        (("community:c2",), {"c2"}, {"c2"}),
        # A station's members work for its community, not for its sibling stations.
        (("station:st1",), {"st1", "c1"}, {"c1"}),
        (("street:s2", "station:st3"), {"s2", "c2", "st3", "c3"}, {"c2", "c3"}),
        (
            ("district:d2", "community:c1"),
            {"d2", "s3", "c3", "st3", "c1", "st1", "st2"},
            {"c1", "c3"},
        ),
        ((), set(), set()),
    ],
)
async def test_access_at_each_scope_level(
    tree: Database, scopes: tuple[str, ...], accessible: set[str], communities: set[str] | None
) -> None:
    who = actor(*scopes)
    async with tree.session() as session:
        reachable = {node for node in NODES if await can_access(session, who, node)}
        visible = await visible_community_ids(session, who)
    assert reachable == accessible
    assert visible == communities
    if visible is not None:  # a list and a read of one item agree
        assert visible == {n for n in reachable if n.startswith("c")}


async def test_soft_delete_keeps_the_history_reachable(tree: Database) -> None:
    async with tree.transaction() as session:
        await delete_node(session, "c1")
    async with tree.session() as session:
        connection = await session.connection()
        deleted = (
            await connection.execute(select(tree_nodes.c.deleted).where(tree_nodes.c.id == "c1"))
        ).scalar_one()
        assert deleted is True
        assert [s.id for s in await ancestors(session, "st1")] == ["st1", "c1", "s1", "d1"]
        assert await can_access(session, actor("street:s1"), "st1")
        assert await visible_community_ids(session, actor("district:d1")) == {"c1", "c2"}


async def test_moving_a_community_moves_its_access(tree: Database) -> None:
    street_officer = actor("street:s1")
    async with tree.transaction() as session:
        await upsert_node(session, id="c2", kind="community", parent_id="s1")
    async with tree.session() as session:
        assert await visible_community_ids(session, street_officer) == {"c1", "c2"}
        assert await can_access(session, street_officer, "c2")
        assert not await can_access(session, actor("street:s2"), "c2")


async def test_a_node_not_yet_in_the_tree(tree: Database) -> None:
    async with tree.session() as session:
        # The registry event has not arrived: the actor's own node is still its own.
        assert await can_access(session, actor("community:c9"), "c9")
        assert await visible_community_ids(session, actor("community:c9")) == {"c9"}
        assert not await can_access(session, actor("district:d1"), "c9")
        assert await can_access(session, actor("city"), "c9")


async def test_upsert_refuses_unknown_kinds(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(ValueError):
            await upsert_node(session, id="g1", kind="grid", parent_id="c1")


async def test_a_parent_cycle_does_not_hang(db: Database) -> None:
    async with db.transaction() as session:
        await upsert_node(session, id="x1", kind="street", parent_id="x2")
        await upsert_node(session, id="x2", kind="community", parent_id="x1")
    async with db.session() as session:
        lineage = await ancestors(session, "x1")
    assert len(lineage) <= 9
    assert lineage[0] == Scope("street", "x1")
