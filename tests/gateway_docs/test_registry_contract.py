"""Contract: what the registry really publishes is what its catalog declares.

Every kind of change is made through the registry's API; every outbox row it wrote must have
a declared type, data that its declared model reads back unchanged (no undeclared field, no
coerced value), and the CloudEvents headers the catalog describes. Every declared type must
have been published at least once, so the catalog holds no stale promises either.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from firesafe_kit.events.catalog import CATALOG_PATH, cloudevent_headers_schema
from firesafe_kit.tables import outbox
from registry.events.published import CATALOG
from tests.gateway_docs.refs import resolve
from tests.registry.conftest import RegistryHarness, created

DAY = "2025-06-01"


async def ok(request: Any, status: int) -> None:
    response: httpx.Response = await request
    assert response.status_code == status, response.text


async def make_every_kind_of_change(registry: RegistryHarness) -> None:
    admin = await registry.admin()
    tree = await registry.tree()
    community = tree.community_id
    grid = await created(
        admin.post(
            "/api/v1/grids",
            json={
                "community_id": community,
                "name": "一网格",
                "workers": [{"name": "赵六", "phone": "13812345678"}],
            },
        )
    )
    compound = await registry.compound(community)
    building = await created(
        admin.post(
            "/api/v1/buildings",
            json={"compound_id": compound["id"], "name": "1号楼", "floors": 6, "households": 24},
        )
    )
    premise = await created(
        admin.post(
            "/api/v1/premises",
            json={
                "community_id": community,
                "compound_id": compound["id"],
                "kind": "three_in_one",
                "name": "小吃店",
                "address": "幸福路2号",
                "operator": {"name": "孙七", "phone": "13912345678"},
            },
        )
    )
    station = await created(
        admin.post(
            "/api/v1/stations",
            json={
                "community_id": community,
                "name": "一站",
                "phone": "13512345670",
                "compound_ids": [compound["id"]],
                "equipment": [{"name": "灭火器", "quantity": 10}],
            },
        )
    )
    facility = await created(
        admin.post(
            "/api/v1/facilities",
            json={
                "compound_id": compound["id"],
                "building_id": building["id"],
                "kind": "fire_hydrant",
                "maintained_by": {"party": "property_company", "name": "安居物业"},
                "last_tested_on": DAY,
                "next_test_due": "2027-06-01",
            },
        )
    )
    resident = await created(
        admin.post(
            "/api/v1/key-residents",
            json={
                "community_id": community,
                "building_id": building["id"],
                "category": "elderly_alone",
                "name": "陈静",
                "phone": "13612345679",
                "address": "幸福小区1号楼101",
                "contact_person": {"name": "陈明", "phone": "13712345670", "relation": "子女"},
                "devices": [{"kind": "smoke_alarm", "installed_on": DAY}],
            },
        )
    )
    members = f"/api/v1/stations/{station['id']}/members"
    member = await created(
        admin.post(
            members,
            json={
                "name": "刘强",
                "phone": "13512345678",
                "role": "head",
                "employment": "full_time",
                "trained_on": DAY,
            },
        )
    )
    await ok(admin.delete(f"{members}/{member['id']}"), 204)

    changes = {
        f"/api/v1/districts/{tree.district['id']}": {"name": "改名区"},
        f"/api/v1/streets/{tree.street['id']}": {"kind": "town"},
        f"/api/v1/communities/{community}": {
            "fire_pact": {"adopted_on": DAY},
            "emergency_plan": {"updated_on": DAY, "document_url": "https://example.org/p.pdf"},
        },
        f"/api/v1/grids/{grid['id']}": {"name": "二网格"},
        f"/api/v1/compounds/{compound['id']}": {"households": 130},
        f"/api/v1/buildings/{building['id']}": {"height_m": 18.5},
        f"/api/v1/premises/{premise['id']}": {"notes": "已整改"},
        f"/api/v1/stations/{station['id']}": {"name": "一号站"},
        f"/api/v1/facilities/{facility['id']}": {"status": "faulty"},
        f"/api/v1/key-residents/{resident['id']}": {
            "devices": [
                {"kind": "smoke_alarm", "installed_on": DAY},
                {"kind": "extinguisher", "installed_on": DAY},
            ]
        },
    }
    for url, change in changes.items():
        await ok(admin.patch(url, json=change), 200)
    # Leaves first: a record with live dependents cannot be deleted.
    for url in [
        f"/api/v1/facilities/{facility['id']}",
        f"/api/v1/key-residents/{resident['id']}",
        f"/api/v1/premises/{premise['id']}",
        f"/api/v1/buildings/{building['id']}",
        f"/api/v1/stations/{station['id']}",
        f"/api/v1/grids/{grid['id']}",
        f"/api/v1/compounds/{compound['id']}",
        f"/api/v1/communities/{community}",
        f"/api/v1/streets/{tree.street['id']}",
        f"/api/v1/districts/{tree.district['id']}",
    ]:
        await ok(admin.delete(url), 204)


async def published(registry: RegistryHarness) -> list[tuple[str, dict[str, str], Any]]:
    """(type, headers, data) of every event the registry wrote, in order."""
    async with registry.runtime.db.session() as session:
        rows = await session.execute(
            select(outbox.c.event_type, outbox.c.headers, outbox.c.payload).order_by(outbox.c.id)
        )
        return [(t, dict(json.loads(h)), json.loads(p)) for t, h, p in rows.all()]


async def test_every_published_event_is_declared_and_reads_back_unchanged(
    registry: RegistryHarness,
) -> None:
    await make_every_kind_of_change(registry)
    header_rules = cloudevent_headers_schema()
    catalog = CATALOG.asyncapi()
    seen: set[str] = set()
    for event_type, headers, data in await published(registry):
        model = CATALOG.payload_for(event_type)
        assert model is not None, f"{event_type} is published but not declared"
        assert model.model_validate(data).model_dump(mode="json") == data, event_type
        assert headers["ce_type"] == event_type and headers["ce_source"] == CATALOG.source
        assert set(header_rules["required"]) <= set(headers) <= set(header_rules["properties"])
        # ce_dataschema points at the event's own message in the AsyncAPI document.
        document, _, pointer = headers["ce_dataschema"].partition("#")
        assert document == "/api/v1/asyncapi.json"
        assert resolve(catalog, "#" + pointer)["name"] == event_type
        seen.add(event_type)
    declared = {spec.type for spec in CATALOG.events}
    assert sorted(declared - seen) == [], "declared but never published"


async def test_the_registry_serves_its_catalog_outside_its_api_document(
    registry: RegistryHarness,
) -> None:
    client = await registry.admin()
    catalog = (await client.get(CATALOG_PATH)).json()
    [channel] = catalog["channels"].values()
    assert channel["address"] == "firesafe.registry.v1"
    assert set(channel["messages"]) == {spec.type for spec in CATALOG.events}
    assert CATALOG_PATH not in (await client.get("/openapi.json")).json()["paths"]
