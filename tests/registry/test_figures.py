"""`/figures/communities`: exact raw figures per community from SQL aggregates, the caller's
jurisdiction, parameter validation, and one call (and a fixed number of statements) for a
street of 60 communities."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from tests.registry.conftest import RegistryHarness, Tree, community_body, created

URL = "/api/v1/figures/communities"
ZERO_COUNTS = {
    "compounds": 0,
    "compounds_with_property_service": 0,
    "compounds_with_property_service_covered": 0,
    "old_compounds_without_property_service": 0,
    "stations": 0,
    "station_members": 0,
    "stations_with_two_members": 0,
    "facilities": 0,
    "facilities_overdue": 0,
    "key_residents": 0,
    "key_residents_with_smoke_alarm": 0,
}


@dataclass
class World:
    tree: Tree  # district D, street S, community C1 (the busy one)
    c2: dict[str, Any]  # street S, no responsible person, pact and plan
    s2: dict[str, Any]  # a second street of D
    c3: dict[str, Any]  # its community
    station_a: dict[str, Any]
    other: Tree  # another district


def member(name: str, phone: str, role: str = "member") -> dict[str, Any]:
    return {"name": name, "phone": phone, "role": role, "employment": "part_time"}


def facility(compound_id: str, **dates: Any) -> dict[str, Any]:
    return {
        "compound_id": compound_id,
        "kind": "fire_hydrant",
        "maintained_by": {"party": "property_company", "name": "安居物业"},
        **dates,
    }


def resident(community_id: str, *device_kinds: str) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "category": "elderly_alone",
        "name": "张奶奶",
        "address": "幸福路1号3栋",
        "devices": [{"kind": kind, "installed_on": "2024-01-05"} for kind in device_kinds],
    }


async def delete(client: Any, path: str) -> None:
    response = await client.delete(path)
    assert response.status_code == 204, response.text


@pytest.fixture(scope="module")
async def world(registry: RegistryHarness) -> World:
    admin = await registry.admin()
    tree = await registry.tree()
    c1 = tree.community_id
    code = tree.street["code"]
    c2 = await created(
        admin.post(
            "/api/v1/communities",
            json=community_body(
                tree.street["id"],
                f"{code}002",
                name="平安社区",
                responsible_person=None,
                safety_managers=[
                    {"name": "赵一", "phone": "13811110001", "employment": "full_time"},
                    {"name": "钱二", "phone": "13811110002", "employment": "part_time"},
                ],
                fire_pact={"adopted_on": "2024-03-01"},
                emergency_plan={"updated_on": "2024-05-01"},
            ),
        )
    )
    district_code = tree.district["code"]
    s2 = await created(
        admin.post(
            "/api/v1/streets",
            json={
                "district_id": tree.district["id"],
                "code": f"{district_code}002",
                "name": "二街",
            },
        )
    )
    c3 = await created(
        admin.post("/api/v1/communities", json=community_body(s2["id"], f"{district_code}002001"))
    )

    served = [await registry.compound(c1) for _ in range(3)]  # with property service
    await registry.compound(c1, has_property_service=False, property_company=None, is_old=True)
    old_listed = await registry.compound(
        c1, has_property_service=False, property_company=None, is_old=True
    )
    gone = await registry.compound(c1)  # covered, then deleted: counts nowhere

    station_a = await created(
        admin.post(
            "/api/v1/stations",
            json={
                "community_id": c1,
                "name": "一号站",
                "compound_ids": [served[0]["id"], old_listed["id"], gone["id"]],
            },
        )
    )
    station_b = await created(
        admin.post(
            "/api/v1/stations",
            json={"community_id": c1, "name": "二号站", "compound_ids": [served[1]["id"]]},
        )
    )
    removed_station = await created(
        admin.post(
            "/api/v1/stations",
            json={"community_id": c1, "name": "撤销站", "compound_ids": [served[2]["id"]]},
        )
    )
    await delete(admin, f"/api/v1/stations/{removed_station['id']}")
    for station, people in (
        (station_a, [member("站长甲", "13900000001", "head"), member("队员乙", "13900000002")]),
        (station_b, [member("站长丙", "13900000003", "head")]),
    ):
        for body in people:
            await created(admin.post(f"/api/v1/stations/{station['id']}/members", json=body))

    overdue = facility(served[0]["id"], last_tested_on="2019-06-01", next_test_due="2020-06-01")
    await created(admin.post("/api/v1/facilities", json=overdue))
    await created(admin.post("/api/v1/facilities", json=facility(served[1]["id"])))
    await created(
        admin.post("/api/v1/facilities", json=facility(served[2]["id"], next_test_due="2099-01-01"))
    )
    # A facility of a deleted compound no longer counts, overdue or not.
    await created(
        admin.post("/api/v1/facilities", json=facility(gone["id"], next_test_due="2020-01-01"))
    )
    await delete(admin, f"/api/v1/compounds/{gone['id']}")

    for kinds in (("smoke_alarm", "extinguisher"), ("extinguisher",), (), ("smoke_alarm",)):
        await created(admin.post("/api/v1/key-residents", json=resident(c1, *kinds)))
    removed = await created(admin.post("/api/v1/key-residents", json=resident(c1, "smoke_alarm")))
    await delete(admin, f"/api/v1/key-residents/{removed['id']}")
    # Another community's data stay with it.
    await created(admin.post("/api/v1/key-residents", json=resident(c3["id"], "smoke_alarm")))

    return World(tree, c2, s2, c3, station_a, await registry.tree())


def counts(item: dict[str, Any]) -> dict[str, Any]:
    return {key: item[key] for key in ZERO_COUNTS}


async def test_street_figures_are_exact_per_community(
    registry: RegistryHarness, world: World
) -> None:
    response = await (await registry.admin()).get(
        URL, params={"street_id": world.tree.street["id"]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == {
        "kind": "street",
        "id": world.tree.street["id"],
        "code": world.tree.street["code"],
        "name": world.tree.street["name"],
    }
    assert body["as_of"] == datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert body["next_cursor"] is None
    c1, c2 = body["items"]  # ordered by code
    assert c1 == {
        "community_id": world.tree.community_id,
        "code": world.tree.community["code"],
        "name": world.tree.community["name"],
        "street_id": world.tree.street["id"],
        "street_code": world.tree.street["code"],
        "street_name": world.tree.street["name"],
        "district_id": world.tree.district["id"],
        "responsible_person_named": True,
        "safety_managers": 1,
        "fire_pact_adopted": False,
        "fire_pact_adopted_on": None,
        "emergency_plan_present": False,
        "emergency_plan_updated_on": None,
        "compounds": 5,
        "compounds_with_property_service": 3,
        "compounds_with_property_service_covered": 2,  # the third's station was removed
        "old_compounds_without_property_service": 2,
        "stations": 2,
        "station_members": 3,
        "stations_with_two_members": 1,
        "facilities": 3,
        "facilities_overdue": 1,
        "key_residents": 4,
        "key_residents_with_smoke_alarm": 2,
    }
    assert c2["community_id"] == world.c2["id"]
    assert c2["responsible_person_named"] is False
    assert c2["safety_managers"] == 2
    assert (c2["fire_pact_adopted"], c2["fire_pact_adopted_on"]) == (True, "2024-03-01")
    assert (c2["emergency_plan_present"], c2["emergency_plan_updated_on"]) == (True, "2024-05-01")
    assert counts(c2) == ZERO_COUNTS


async def test_district_and_community_scopes(registry: RegistryHarness, world: World) -> None:
    admin = await registry.admin()
    district = (await admin.get(URL, params={"district_id": world.tree.district["id"]})).json()
    assert [i["community_id"] for i in district["items"]] == [
        world.tree.community_id,
        world.c2["id"],
        world.c3["id"],
    ]
    assert district["items"][2]["street_name"] == "二街"
    assert counts(district["items"][2]) == {
        **ZERO_COUNTS,
        "key_residents": 1,
        "key_residents_with_smoke_alarm": 1,
    }
    one = (await admin.get(URL, params={"community_id": world.tree.community_id})).json()
    assert one["scope"]["kind"] == "community"
    assert one["items"] == district["items"][:1]


async def test_a_cleared_document_no_longer_counts(registry: RegistryHarness) -> None:
    admin = await registry.admin()
    tree = await registry.tree()
    url = f"/api/v1/communities/{tree.community_id}"
    patched = await admin.patch(
        url,
        json={"fire_pact": {"adopted_on": "2025-01-02"}, "responsible_person": None},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    (item,) = (await admin.get(URL, params={"community_id": tree.community_id})).json()["items"]
    assert item["fire_pact_adopted_on"] == "2025-01-02"
    assert item["responsible_person_named"] is False
    await admin.patch(url, json={"fire_pact": None})
    (item,) = (await admin.get(URL, params={"community_id": tree.community_id})).json()["items"]
    assert (item["fire_pact_adopted"], item["fire_pact_adopted_on"]) == (False, None)


async def test_jurisdiction_applies_to_the_scope_and_the_rows(
    registry: RegistryHarness, world: World
) -> None:
    d, s, c1 = world.tree.district["id"], world.tree.street["id"], world.tree.community_id
    cases: list[tuple[tuple[str, ...], dict[str, str], int]] = [
        (("district_officer", f"district:{d}"), {"district_id": d}, 200),
        (("district_officer", f"district:{world.other.district['id']}"), {"district_id": d}, 404),
        (("street_officer", f"street:{world.s2['id']}"), {"street_id": s}, 404),
        (("street_officer", f"street:{world.s2['id']}"), {"district_id": d}, 404),
        (("street_officer", f"street:{world.s2['id']}"), {"community_id": world.c3["id"]}, 200),
        (("community_staff", f"community:{c1}"), {"street_id": s}, 404),
        (("community_staff", f"community:{c1}"), {"community_id": c1}, 200),
        (("community_staff", f"community:{c1}"), {"community_id": world.c2["id"]}, 404),
        (("station_member", f"station:{world.station_a['id']}"), {"community_id": c1}, 200),
        (("city_admin", "city"), {"street_id": "no-such-street"}, 404),
        (("city_admin", "city"), {"district_id": s}, 404),  # a street id is not a district
    ]
    for (role, scope), params, status in cases:
        response = await (await registry.client(role, scope)).get(URL, params=params)
        assert response.status_code == status, (role, scope, params, response.text)
        if status == 404:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "not_found"
    staff = await registry.client("community_staff", f"community:{c1}")
    only = (await staff.get(URL, params={"community_id": c1})).json()
    assert [i["community_id"] for i in only["items"]] == [c1]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"district_id": "a", "street_id": "b"},
        {"district_id": "a", "street_id": "b", "community_id": "c"},
        {"street_id": ""},
        {"street_id": "x" * 37},
        {"street_id": "a\x00b"},
        {"community_id": "幸福里社区"},
        {"street_id": "a", "limit": "0"},
        {"street_id": "a", "limit": "1001"},
        {"street_id": "a", "limit": "many"},
        {"street_id": "a", "sort": "name"},
    ],
)
async def test_bad_parameters_are_422_problems(
    registry: RegistryHarness, params: dict[str, str]
) -> None:
    response = await (await registry.admin()).get(URL, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "validation_failed" and body["errors"]


async def test_bad_cursor_is_400_and_no_token_is_401(
    registry: RegistryHarness, world: World
) -> None:
    admin = await registry.admin()
    params = {"street_id": world.tree.street["id"], "cursor": "not-a-cursor"}
    bad = await admin.get(URL, params=params)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
    anonymous = await admin.get(URL, params=params, headers={"Authorization": ""})
    assert anonymous.status_code == 401


@contextmanager
def statements(registry: RegistryHarness) -> Iterator[list[str]]:
    """The registry's own SQL statements run meanwhile (not the outbox relay's polling)."""
    seen: list[str] = []
    engine = registry.runtime.db.engine.sync_engine

    def record(*args: Any) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("SELECT") and "kit_outbox" not in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_sixty_communities_in_one_call_with_a_fixed_number_of_statements(
    registry: RegistryHarness, world: World
) -> None:
    admin = await registry.admin()
    district_code = world.tree.district["code"]
    big = await created(
        admin.post(
            "/api/v1/streets",
            json={
                "district_id": world.tree.district["id"],
                "code": f"{district_code}060",
                "name": "大街道",
            },
        )
    )
    ids = []
    for n in range(1, 61):
        body = community_body(big["id"], f"{big['code']}{n:03d}", name=f"社区{n}")
        ids.append((await created(admin.post("/api/v1/communities", json=body)))["id"])
    compound = await registry.compound(ids[-1])
    await created(
        admin.post(
            "/api/v1/stations",
            json={"community_id": ids[-1], "name": "末站", "compound_ids": [compound["id"]]},
        )
    )

    with statements(registry) as seen_small:
        small = await admin.get(URL, params={"street_id": world.tree.street["id"]})
    with statements(registry) as seen_big:
        response = await admin.get(URL, params={"street_id": big["id"]})
    assert response.status_code == 200
    body = response.json()
    assert [i["community_id"] for i in body["items"]] == ids and body["next_cursor"] is None
    last = body["items"][-1]
    assert last["compounds_with_property_service_covered"] == 1 and last["stations"] == 1
    assert len(small.json()["items"]) == 2
    assert len(seen_big) == len(seen_small)  # GROUP BY community, not a query per community

    pages, cursor = [], None
    while True:
        params = {"street_id": big["id"], "limit": "25", **({"cursor": cursor} if cursor else {})}
        page = (await admin.get(URL, params=params)).json()
        pages.append([i["community_id"] for i in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [25, 25, 10]
    assert [i for p in pages for i in p] == ids
