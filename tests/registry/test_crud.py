"""The resource conventions of API.md, exercised on registry resources."""

from __future__ import annotations

import asyncio

from tests.registry.conftest import RegistryHarness, community_body, created


async def test_create_answers_201_with_location_etag_and_chinese_intact(
    registry: RegistryHarness,
) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    response = await admin.post(
        "/api/v1/compounds",
        json={
            "community_id": tree.community_id,
            "name": "阳光花园（一期）",
            "address": "义井镇幸福路８号",
            "has_property_service": False,
            "has_fixed_facilities": False,
            "is_old": True,
            "households": 86,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/api/v1/compounds/{body['id']}"
    assert response.headers["etag"]
    assert body["name"] == "阳光花园（一期）" and body["address"] == "义井镇幸福路８号"
    again = await admin.get(response.headers["location"])
    assert again.status_code == 200 and again.json() == body
    assert again.headers["etag"] == response.headers["etag"]


async def test_patch_is_a_merge_patch_and_bumps_version_and_etag(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    url = f"/api/v1/communities/{tree.community_id}"
    first = await admin.get(url)
    response = await admin.patch(
        url,
        json={
            "fire_pact": {"adopted_on": "2026-03-01"},
            "responsible_person": {"phone": "13900001111"},
        },
        headers={"If-Match": first.headers["etag"], "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == first.json()["version"] + 1
    assert body["fire_pact"] == {"adopted_on": "2026-03-01", "document_url": None}
    assert body["responsible_person"] == {
        "name": "王小明",
        "phone": "13900001111",
    }  # merged, not replaced
    assert response.headers["etag"] != first.headers["etag"]
    removed = await admin.patch(url, json={"responsible_person": None})
    assert removed.status_code == 200 and removed.json()["responsible_person"] is None


async def test_stale_if_match_is_412_and_changes_nothing(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    url = f"/api/v1/communities/{tree.community_id}"
    etag = (await admin.get(url)).headers["etag"]
    assert (
        await admin.patch(url, json={"name": "新名称"}, headers={"If-Match": etag})
    ).status_code == 200
    stale = await admin.patch(url, json={"name": "另一个名称"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert (await admin.get(url)).json()["name"] == "新名称"


async def test_two_updates_with_the_same_etag_one_wins_one_gets_412(
    registry: RegistryHarness,
) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    compound = await registry.compound(tree.community_id)
    url = f"/api/v1/compounds/{compound['id']}"
    etag = (await admin.get(url)).headers["etag"]
    results = await asyncio.gather(
        admin.patch(url, json={"households": 1}, headers={"If-Match": etag}),
        admin.patch(url, json={"households": 2}, headers={"If-Match": etag}),
    )
    assert sorted(r.status_code for r in results) == [200, 412]
    winner = next(r for r in results if r.status_code == 200)
    final = (await admin.get(url)).json()
    assert final["households"] == winner.json()["households"] and final["version"] == 2


async def test_lists_page_with_cursor_and_filter_by_fields(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    made = [await registry.compound(tree.community_id, is_old=i % 2 == 0) for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {
            "community_id": tree.community_id,
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = (await admin.get("/api/v1/compounds", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in made]
    old = (
        await admin.get(
            "/api/v1/compounds", params={"community_id": tree.community_id, "is_old": "true"}
        )
    ).json()
    assert {c["id"] for c in old["items"]} == {c["id"] for c in made if c["is_old"]}


async def test_bad_list_parameters_are_422_or_400(registry: RegistryHarness) -> None:
    admin = await registry.admin()
    assert (await admin.get("/api/v1/compounds", params={"limit": 500})).status_code == 422
    assert (await admin.get("/api/v1/compounds", params={"colour": "red"})).status_code == 422
    assert (await admin.get("/api/v1/compounds", params={"cursor": "garbage!"})).status_code == 400


async def test_delete_is_soft_and_blocked_while_dependents_live(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    compound = await registry.compound(tree.community_id)
    building = await created(
        admin.post(
            "/api/v1/buildings",
            json={"compound_id": compound["id"], "name": "1号楼", "floors": 6, "households": 24},
        )
    )
    blocked = await admin.delete(f"/api/v1/compounds/{compound['id']}")
    assert blocked.status_code == 409 and blocked.json()["code"] == "has_dependents"
    assert (await admin.delete(f"/api/v1/buildings/{building['id']}")).status_code == 204
    assert (await admin.delete(f"/api/v1/compounds/{compound['id']}")).status_code == 204
    assert (await admin.get(f"/api/v1/compounds/{compound['id']}")).status_code == 404
    listed = (
        await admin.get("/api/v1/compounds", params={"community_id": tree.community_id})
    ).json()
    assert compound["id"] not in {c["id"] for c in listed["items"]}
    assert (await admin.delete(f"/api/v1/compounds/{compound['id']}")).status_code == 404


async def test_idempotency_key_replays_the_first_answer(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    body = {
        "community_id": tree.community_id,
        "name": "一号网格",
        "workers": [{"name": "赵六", "phone": "13812345678"}],
    }
    headers = {"Idempotency-Key": "grid-create-1"}
    first = await admin.post("/api/v1/grids", json=body, headers=headers)
    second = await admin.post("/api/v1/grids", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    grids = (await admin.get("/api/v1/grids", params={"community_id": tree.community_id})).json()
    assert [g["id"] for g in grids["items"]] == [first.json()["id"]]


async def test_unknown_ids_are_404_problem_json_and_malformed_json_is_400(
    registry: RegistryHarness,
) -> None:
    admin = await registry.admin()
    missing = await admin.get("/api/v1/stations/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    broken = await admin.post(
        "/api/v1/districts",
        content=b'{"code": "110105",',
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    not_json = await admin.post(
        "/api/v1/districts",
        content=b"code=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert not_json.status_code == 415


async def test_a_duplicate_code_is_409(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    again = await admin.post(
        "/api/v1/communities", json=community_body(tree.street["id"], tree.community["code"])
    )
    assert again.status_code == 409 and again.json()["code"] == "duplicate_code"


async def test_the_api_document_lists_every_registry_path(registry: RegistryHarness) -> None:
    admin = await registry.admin()
    paths = set((await admin.get("/openapi.json")).json()["paths"])
    for collection in (
        "districts",
        "streets",
        "communities",
        "grids",
        "compounds",
        "buildings",
        "premises",
        "stations",
        "facilities",
        "key-residents",
    ):
        assert {f"/api/v1/{collection}", f"/api/v1/{collection}/{{id}}"} <= paths
    assert "/api/v1/stations/{station_id}/members" in paths and "/api/v1/audit-log" in paths
