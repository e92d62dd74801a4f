"""Who sees and changes what: lists show only the caller's part of the tree, reads outside it
are 404, writes depend on the role (403) and on the jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.registry.conftest import RegistryHarness, Tree, community_body, created


@dataclass
class World:
    a: Tree  # district A, street A1, community A1a
    a2_street: dict[str, Any]
    a2_community: dict[str, Any]
    b: Tree  # another district
    station: dict[str, Any]
    compounds: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
async def world(registry: RegistryHarness) -> World:
    admin = await registry.admin()
    a, b = await registry.tree(), await registry.tree()
    code = a.district["code"]
    a2_street = await created(
        admin.post(
            "/api/v1/streets",
            json={"district_id": a.district["id"], "code": f"{code}002", "name": "第二街道"},
        )
    )
    a2_community = await created(
        admin.post("/api/v1/communities", json=community_body(a2_street["id"], f"{code}002001"))
    )
    compounds = {
        "a1a": await registry.compound(a.community_id),
        "a2a": await registry.compound(a2_community["id"]),
        "b": await registry.compound(b.community_id),
    }
    station = await created(
        admin.post(
            "/api/v1/stations",
            json={
                "community_id": a.community_id,
                "name": "A站",
                "compound_ids": [compounds["a1a"]["id"]],
            },
        )
    )
    return World(a, a2_street, a2_community, b, station, compounds)


def actors(w: World) -> dict[str, tuple[str, ...]]:
    return {
        "city_admin": ("city_admin", "city"),
        "district_officer": ("district_officer", f"district:{w.a.district['id']}"),
        "street_officer": ("street_officer", f"street:{w.a.street['id']}"),
        "community_staff": ("community_staff", f"community:{w.a.community_id}"),
        "viewer": ("viewer", f"district:{w.a.district['id']}"),
        "station_member": ("station_member", f"station:{w.station['id']}"),
        "fire_inspector": ("fire_inspector", f"street:{w.a.street['id']}"),
    }


# who: the communities of the world they see (a1a, a2a, b)
VISIBLE = {
    "city_admin": {"a1a", "a2a", "b"},
    "district_officer": {"a1a", "a2a"},
    "street_officer": {"a1a"},
    "community_staff": {"a1a"},
    "viewer": {"a1a", "a2a"},
    "station_member": {"a1a"},
    "fire_inspector": {"a1a"},
}


def community_ids(w: World) -> dict[str, str]:
    return {"a1a": w.a.community_id, "a2a": w.a2_community["id"], "b": w.b.community_id}


@pytest.mark.parametrize("who", sorted(VISIBLE))
async def test_lists_and_reads_follow_the_jurisdiction(
    registry: RegistryHarness, world: World, who: str
) -> None:
    client = await registry.client(*actors(world)[who])
    ids = community_ids(world)
    world_ids = set(ids.values())
    listed = {
        c["id"]
        for c in (await client.get("/api/v1/communities", params={"limit": 200})).json()["items"]
    }
    assert listed & world_ids == {ids[name] for name in VISIBLE[who]}
    compounds = {
        c["id"]
        for c in (await client.get("/api/v1/compounds", params={"limit": 200})).json()["items"]
    }
    assert compounds & {c["id"] for c in world.compounds.values()} == {
        world.compounds[n]["id"] for n in VISIBLE[who]
    }
    for name, community_id in ids.items():
        read = await client.get(f"/api/v1/communities/{community_id}")
        assert read.status_code == (200 if name in VISIBLE[who] else 404), (who, name)
        compound = await client.get(f"/api/v1/compounds/{world.compounds[name]['id']}")
        assert compound.status_code == (200 if name in VISIBLE[who] else 404), (who, name)


# who: may they create a compound in community A1a, update community A1a, create a community
# under street A1, create a street in district A, create a district?
WRITES = {
    "city_admin": (201, 200, 201, 201, 201),
    "district_officer": (201, 200, 201, 201, 403),
    "street_officer": (201, 200, 201, 403, 403),
    "community_staff": (201, 200, 403, 403, 403),
    "viewer": (403, 403, 403, 403, 403),
    "station_member": (403, 403, 403, 403, 403),
    "fire_inspector": (403, 403, 403, 403, 403),
}


@pytest.mark.parametrize("who", sorted(WRITES))
async def test_writes_follow_the_role(registry: RegistryHarness, world: World, who: str) -> None:
    client = await registry.client(*actors(world)[who])
    code = world.a.district["code"]
    suffix = f"{sorted(WRITES).index(who) + 10:03d}"
    results = (
        await client.post(
            "/api/v1/compounds",
            json={
                "community_id": world.a.community_id,
                "name": f"{who}的小区",
                "address": "某路1号",
                "has_property_service": False,
                "has_fixed_facilities": False,
                "is_old": True,
                "households": 3,
            },
        ),
        await client.patch(
            f"/api/v1/communities/{world.a.community_id}",
            json={"emergency_plan": {"updated_on": "2026-02-01"}},
        ),
        await client.post(
            "/api/v1/communities", json=community_body(world.a.street["id"], f"{code}001{suffix}")
        ),
        await client.post(
            "/api/v1/streets",
            json={
                "district_id": world.a.district["id"],
                "code": f"{code}{suffix}",
                "name": "新街道",
            },
        ),
        await client.post(
            "/api/v1/districts", json={"code": f"12{int(suffix):02d}01", "name": "新区"}
        ),
    )
    assert tuple(r.status_code for r in results) == WRITES[who], [r.text[:120] for r in results]
    for response in results:
        if response.status_code == 403:
            assert response.json()["code"] == "forbidden_role"


async def test_writes_outside_the_jurisdiction_reveal_nothing(
    registry: RegistryHarness, world: World
) -> None:
    staff = await registry.client(*actors(world)["community_staff"])
    elsewhere = await staff.post(
        "/api/v1/compounds",
        json={
            "community_id": world.b.community_id,
            "name": "别人的小区",
            "address": "某路1号",
            "has_property_service": False,
            "has_fixed_facilities": False,
            "is_old": True,
            "households": 3,
        },
    )
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["loc"] == [
        "body",
        "community_id",
    ]
    assert elsewhere.json()["code"] == "invalid_reference"
    patch = await staff.patch(
        f"/api/v1/compounds/{world.compounds['b']['id']}", json={"households": 1}
    )
    delete = await staff.delete(f"/api/v1/compounds/{world.compounds['b']['id']}")
    assert patch.status_code == delete.status_code == 404


async def test_no_or_bad_token_is_401(registry: RegistryHarness) -> None:
    anonymous = await registry.stack.enter_async_context(
        __import__("httpx").AsyncClient(transport=registry.transport, base_url="http://registry")
    )
    assert (await anonymous.get("/api/v1/communities")).status_code == 401
    bad = await anonymous.get("/api/v1/communities", headers={"Authorization": "Bearer not-a-jwt"})
    assert bad.status_code == 401 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
