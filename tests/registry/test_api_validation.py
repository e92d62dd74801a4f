"""Every validation rule reaches the API as a 422 problem+json naming the field, and a rejected
request changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry.validators import make_id_number
from tests.registry.conftest import RegistryHarness, community_body, created

GOOD_ID = make_id_number("110105", date(1940, 5, 1), "123")


def fields_named(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [error["loc"][1:] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "11010500100"}, ["code"]),
        ({"code": "110105001000"}, ["code"]),
        ({"name": ""}, ["name"]),
        (
            {"responsible_person": {"name": "王小明", "phone": "12345"}},
            ["responsible_person", "phone"],
        ),
        (
            {"responsible_person": {"name": "王小明", "phone": "010-1234567"}},
            ["responsible_person", "phone"],
        ),
        ({"safety_managers": []}, ["safety_managers"]),
        (
            {
                "safety_managers": [
                    {"name": f"管理员{i}", "phone": f"1381234567{i}", "employment": "full_time"}
                    for i in range(3)
                ]
            },
            ["safety_managers"],
        ),
        (
            {
                "safety_managers": [
                    {"name": "李四", "phone": "13712345678", "employment": "sometimes"}
                ]
            },
            ["safety_managers", 0, "employment"],
        ),
        ({"fire_pact": {"adopted_on": "yesterday"}}, ["fire_pact", "adopted_on"]),
        (
            {"fire_pact": {"adopted_on": "2026-01-01", "document_url": "ftp://x"}},
            ["fire_pact", "document_url"],
        ),
        ({"favourite_colour": "red"}, ["favourite_colour"]),
    ],
)
async def test_community_rules(
    registry: RegistryHarness, change: dict[str, Any], field: list[Any]
) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    body = {**community_body(tree.street["id"], f"{tree.street['code']}009"), **change}
    assert field in fields_named(await admin.post("/api/v1/communities", json=body))
    listed = (
        await admin.get("/api/v1/communities", params={"street_id": tree.street["id"]})
    ).json()
    assert [c["id"] for c in listed["items"]] == [tree.community_id]


async def test_landline_and_mobile_are_both_accepted_and_normalized(
    registry: RegistryHarness,
) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    body = community_body(
        tree.street["id"],
        f"{tree.street['code']}002",
        responsible_person={"name": "王小明", "phone": "+86 136-1234-5678"},
        safety_managers=[{"name": "李四", "phone": "(0351)8234567", "employment": "part_time"}],
    )
    made = await created(admin.post("/api/v1/communities", json=body))
    assert made["responsible_person"]["phone"] == "13612345678"
    assert made["safety_managers"][0]["phone"] == "0351-8234567"


async def test_codes_must_sit_under_their_parents_codes(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    street = await admin.post(
        "/api/v1/streets",
        json={"district_id": tree.district["id"], "code": "120101001", "name": "别处街道"},
    )
    assert ["code"] in fields_named(street)
    community = await admin.post(
        "/api/v1/communities", json=community_body(tree.street["id"], "120101001001")
    )
    assert ["code"] in fields_named(community)


async def test_references_must_exist(registry: RegistryHarness) -> None:
    admin = await registry.admin()
    missing = "00000000-0000-0000-0000-000000000000"
    street = await admin.post(
        "/api/v1/streets", json={"district_id": missing, "code": "110105001", "name": "某街道"}
    )
    assert ["district_id"] in fields_named(street)
    compound = await admin.post(
        "/api/v1/compounds",
        json={
            "community_id": missing,
            "name": "某小区",
            "address": "某路1号",
            "has_property_service": False,
            "has_fixed_facilities": False,
            "is_old": True,
            "households": 1,
        },
    )
    assert ["community_id"] in fields_named(compound)


async def test_a_station_covers_only_its_own_communitys_compounds(
    registry: RegistryHarness,
) -> None:
    here, there = await registry.tree(), await registry.tree()
    admin = await registry.admin()
    own = await registry.compound(here.community_id)
    foreign = await registry.compound(there.community_id)
    response = await admin.post(
        "/api/v1/stations",
        json={
            "community_id": here.community_id,
            "name": "幸福里微型消防站",
            "compound_ids": [own["id"], foreign["id"]],
        },
    )
    assert fields_named(response) == [["compound_ids", 1]]
    ok = await created(
        admin.post(
            "/api/v1/stations",
            json={
                "community_id": here.community_id,
                "name": "幸福里微型消防站",
                "compound_ids": [own["id"]],
                "phone": "0351-8234567",
                "equipment": [{"name": "灭火器", "quantity": 10}],
            },
        )
    )
    moved = await admin.patch(
        f"/api/v1/stations/{ok['id']}", json={"compound_ids": [foreign["id"]]}
    )
    assert fields_named(moved) == [["compound_ids", 0]]


async def test_places_reference_the_same_community(registry: RegistryHarness) -> None:
    here, there = await registry.tree(), await registry.tree()
    admin = await registry.admin()
    grid = await created(
        admin.post("/api/v1/grids", json={"community_id": there.community_id, "name": "一网格"})
    )
    response = await admin.post(
        "/api/v1/compounds",
        json={
            "community_id": here.community_id,
            "grid_id": grid["id"],
            "name": "某小区",
            "address": "某路1号",
            "has_property_service": False,
            "has_fixed_facilities": False,
            "is_old": True,
            "households": 1,
        },
    )
    assert fields_named(response) == [["grid_id"]]
    company_without_service = await admin.post(
        "/api/v1/compounds",
        json={
            "community_id": here.community_id,
            "name": "某小区",
            "address": "某路1号",
            "property_company": "某物业",
            "has_property_service": False,
            "has_fixed_facilities": False,
            "is_old": True,
            "households": 1,
        },
    )
    assert fields_named(company_without_service) == [[]]


async def test_facility_building_must_be_in_its_compound(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    first, second = (
        await registry.compound(tree.community_id),
        await registry.compound(tree.community_id),
    )
    building = await created(
        admin.post(
            "/api/v1/buildings",
            json={"compound_id": second["id"], "name": "2号楼", "floors": 18, "households": 72},
        )
    )
    response = await admin.post(
        "/api/v1/facilities",
        json={
            "compound_id": first["id"],
            "building_id": building["id"],
            "kind": "fire_hydrant",
            "maintained_by": {"party": "property_company", "name": "安居物业"},
        },
    )
    assert fields_named(response) == [["building_id"]]
    dates = await admin.post(
        "/api/v1/facilities",
        json={
            "compound_id": first["id"],
            "kind": "fire_alarm",
            "maintained_by": {"party": "property_company", "name": "安居物业"},
            "last_tested_on": "2026-06-01",
            "next_test_due": "2026-05-01",
        },
    )
    assert fields_named(dates) == [[]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")}, ["id_number"]),
        ({"id_number": "99" + GOOD_ID[2:]}, ["id_number"]),
        ({"id_number": "1101051999023112" + "34"}, ["id_number"]),
        ({"phone": "1361234567"}, ["phone"]),
        ({"category": "tourist"}, ["category"]),
        (
            {"devices": [{"kind": "smoke_alarm", "installed_on": "2999-01-01"}]},
            ["devices", 0, "installed_on"],
        ),
        (
            {"devices": [{"kind": "fire_truck", "installed_on": "2026-01-01"}]},
            ["devices", 0, "kind"],
        ),
        ({"name": "\u0000"}, ["name"]),
    ],
)
async def test_key_resident_rules(
    registry: RegistryHarness, change: dict[str, Any], field: list[Any]
) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    body = {
        "community_id": tree.community_id,
        "category": "elderly_alone",
        "name": "张三",
        "phone": "13912345678",
        "id_number": GOOD_ID,
        "address": "幸福小区3号楼2单元501",
        **change,
    }
    assert field in fields_named(await admin.post("/api/v1/key-residents", json=body))
    assert (
        await admin.get("/api/v1/key-residents", params={"community_id": tree.community_id})
    ).json()["items"] == []


async def test_messages_follow_accept_language(registry: RegistryHarness) -> None:
    admin = await registry.admin()
    zh = await admin.post("/api/v1/districts", json={"code": "1", "name": "区"})
    en = await admin.post(
        "/api/v1/districts", json={"code": "1", "name": "区"}, headers={"Accept-Language": "en"}
    )
    assert zh.status_code == en.status_code == 422
    assert zh.json()["title"] != en.json()["title"] and en.json()["title"].isascii()
    assert en.headers["content-language"] == "en"
