"""Key residents' personal data: masked for roles without pii:read, unmasked reads audited,
never in events."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from firesafe_kit.tables import outbox
from registry.validators import make_id_number
from tests.registry.conftest import RegistryHarness, created

ID_NUMBER = make_id_number("110105", date(1938, 2, 3), "456")
RESIDENT = {
    "category": "elderly_alone",
    "name": "张秀英",
    "phone": "13912345678",
    "id_number": ID_NUMBER,
    "address": "幸福小区3号楼2单元501",
    "contact_person": {"name": "张伟", "phone": "13800001111", "relation": "儿子"},
    "devices": [{"kind": "smoke_alarm", "installed_on": "2026-01-01"}],
}


@pytest.fixture(scope="module")
async def resident(registry: RegistryHarness) -> dict[str, Any]:
    tree = await registry.tree()
    admin = await registry.admin()
    made = await created(
        admin.post("/api/v1/key-residents", json={"community_id": tree.community_id, **RESIDENT})
    )
    made["tree"] = tree
    return made


async def audit_rows(registry: RegistryHarness, resident_id: str) -> list[dict[str, Any]]:
    admin = await registry.admin()
    response = await admin.get(
        "/api/v1/audit-log", params={"resource_id": resident_id, "limit": 200}
    )
    assert response.status_code == 200
    return list(response.json()["items"])


@pytest.mark.parametrize(
    ("role", "scope_of", "masked"),
    [
        ("city_admin", lambda t: "city", False),
        ("community_staff", lambda t: f"community:{t.community_id}", False),
        ("street_officer", lambda t: f"street:{t.street['id']}", True),
        ("district_officer", lambda t: f"district:{t.district['id']}", True),
        ("viewer", lambda t: f"community:{t.community_id}", True),
        ("fire_inspector", lambda t: f"district:{t.district['id']}", True),
    ],
)
async def test_masked_unless_pii_read_and_each_unmasked_read_audited(
    registry: RegistryHarness, resident: dict[str, Any], role: str, scope_of: Any, masked: bool
) -> None:
    client = await registry.client(role, scope_of(resident["tree"]), sub=f"pii-{role}")
    before = len(await audit_rows(registry, resident["id"]))
    one = (await client.get(f"/api/v1/key-residents/{resident['id']}")).json()
    listed = (
        await client.get(
            "/api/v1/key-residents", params={"community_id": resident["tree"].community_id}
        )
    ).json()["items"]
    assert listed == [one]
    assert one["masked"] is masked
    if masked:
        assert (one["name"], one["phone"], one["id_number"]) == (
            "张**",
            "139****5678",
            ID_NUMBER[:6] + "********" + ID_NUMBER[-4:],
        )
        assert one["address"].endswith("****") and "501" not in one["address"]
        assert (
            one["contact_person"]["name"] == "张*"
            and one["contact_person"]["phone"] == "138****1111"
        )
    else:
        assert (one["name"], one["phone"], one["id_number"], one["address"]) == (
            RESIDENT["name"],
            RESIDENT["phone"],
            ID_NUMBER,
            RESIDENT["address"],
        )
    assert one["devices"] == RESIDENT["devices"] and one["category"] == "elderly_alone"
    rows = await audit_rows(registry, resident["id"])
    new_rows = [r for r in rows[: len(rows) - before] if r["actor_sub"] == f"pii-{role}"]
    assert len(new_rows) == (0 if masked else 2)  # one read, one list
    assert all(
        r["resource"] == "key_resident" and r["community_id"] == resident["tree"].community_id
        for r in new_rows
    )


async def test_only_a_city_admin_reads_the_audit_log(
    registry: RegistryHarness, resident: dict[str, Any]
) -> None:
    for role, scope in (
        ("community_staff", f"community:{resident['tree'].community_id}"),
        ("district_officer", "city"),
    ):
        client = await registry.client(role, scope)
        assert (await client.get("/api/v1/audit-log")).status_code == 403


async def test_no_event_carries_personal_data(
    registry: RegistryHarness, resident: dict[str, Any]
) -> None:
    admin = await registry.admin()
    await admin.patch(
        f"/api/v1/key-residents/{resident['id']}",
        json={
            "devices": [
                {"kind": "smoke_alarm", "installed_on": "2026-01-01"},
                {"kind": "extinguisher", "installed_on": "2026-02-01"},
            ]
        },
    )
    async with registry.runtime.db.session() as session:
        payloads = [row.payload for row in (await session.execute(select(outbox.c.payload))).all()]
    assert payloads
    for secret in (
        "张秀英",
        "13912345678",
        ID_NUMBER,
        "3号楼2单元501",
        "张伟",
        "13800001111",
        "王小明",
        "13612345678",
    ):
        assert not any(secret in payload for payload in payloads), secret
