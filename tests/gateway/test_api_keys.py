"""API keys: made by a city-wide city_admin, shown once and stored as a hash, revocable, used
with the key's own roles, jurisdiction and rate limit; `last_used_at` follows use."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from firesafe_kit.db import Database
from gateway.models import ApiKey
from tests.gateway.conftest import RunningGateway
from tests.gateway.support import PROBLEM
from tests.support.events import wait_until


async def stored_row(gateway: RunningGateway, key_id: str) -> dict[str, object]:
    database = Database(gateway.settings.database_url)
    try:
        async with database.session() as session:
            row = (
                await session.execute(
                    select(ApiKey.__table__).where(ApiKey.__table__.c.id == key_id)
                )  # type: ignore[attr-defined]
            ).one()
        return dict(row._mapping)
    finally:
        await database.dispose()


async def test_the_key_is_shown_once_and_stored_as_its_hash(gateway: RunningGateway) -> None:
    admin = await gateway.admin()
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    response = await admin.post(
        "/api/v1/api-keys",
        json={
            "name": "市数据平台",
            "roles": ["viewer", "viewer", "fire_inspector"],
            "jurisdiction": ["city"],
            "rate_limit_per_minute": 120,
            "expires_at": expires.isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    made = response.json()
    key = made["key"]
    assert key.startswith("fsk_") and len(key) == 47
    assert response.headers["location"] == f"/api/v1/api-keys/{made['id']}"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["etag"]
    assert made["roles"] == ["viewer", "fire_inspector"]
    assert made["status"] == "active" and made["created_by"] == "city_admin-city"
    assert datetime.fromisoformat(made["expires_at"]) == expires
    assert key.startswith(made["key_prefix"]) and len(made["key_prefix"]) < 16

    read = await admin.get(f"/api/v1/api-keys/{made['id']}")
    listed = await admin.get("/api/v1/api-keys", params={"limit": 200})
    assert read.status_code == 200 and "key" not in read.json()
    assert all("key" not in item for item in listed.json()["items"])
    assert key not in read.text + listed.text
    assert {k: v for k, v in made.items() if k != "key"} == read.json()

    row = await stored_row(gateway, made["id"])
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {str(value) for value in row.values()}


async def test_a_key_acts_with_its_roles_and_jurisdiction(gateway: RunningGateway) -> None:
    made = await gateway.new_key(roles=["district_officer"], jurisdiction=["city"])
    client = await gateway.key_client(made["key"])
    listed = await client.get("/api/v1/districts")
    assert listed.status_code == 200
    # district_officer may not create districts (city_admin may): the key's role decides.
    refused = await client.post("/api/v1/districts", json={"code": "129901", "name": "某区"})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden_role"


async def test_revocation_is_final_and_immediate(gateway: RunningGateway) -> None:
    admin = await gateway.admin()
    made = await gateway.new_key()
    client = await gateway.key_client(made["key"])
    assert (await client.get("/api/v1/districts")).status_code == 200

    stale = await admin.post(
        f"/api/v1/api-keys/{made['id']}/revoke", headers={"If-Match": '"not-the-etag"'}
    )
    assert stale.status_code == 412
    revoked = await admin.post(f"/api/v1/api-keys/{made['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked" and revoked.json()["revoked_at"]
    assert revoked.json()["version"] == made["version"] + 1
    again = await admin.post(f"/api/v1/api-keys/{made['id']}/revoke")
    assert again.status_code == 409
    assert again.json()["code"] == "api_key_already_revoked"

    refused = await client.get("/api/v1/districts")
    assert refused.status_code == 401
    assert refused.json()["code"] == "api_key_revoked"


async def test_last_used_at_follows_use(gateway: RunningGateway) -> None:
    admin = await gateway.admin()
    made = await gateway.new_key()
    assert made["last_used_at"] is None
    client = await gateway.key_client(made["key"])
    assert (await client.get("/api/v1/streets")).status_code == 200

    async def recorded() -> bool:
        read = await admin.get(f"/api/v1/api-keys/{made['id']}")
        return read.json()["last_used_at"] is not None

    await wait_until(recorded, timeout=30)


async def test_the_default_limit_applies_when_none_is_given(gateway: RunningGateway) -> None:
    made = await gateway.new_key(rate_limit_per_minute=None)
    assert made["rate_limit_per_minute"] == gateway.settings.rate_limit_per_minute


@pytest.mark.parametrize(
    "body",
    [
        {"roles": ["viewer"], "jurisdiction": ["city"]},  # no name
        {"name": "k", "roles": [], "jurisdiction": ["city"]},
        {"name": "k", "roles": ["root"], "jurisdiction": ["city"]},
        {"name": "k", "roles": ["viewer"], "jurisdiction": ["planet:mars"]},
        {"name": "k", "roles": ["viewer"], "jurisdiction": []},
        {"name": "k", "roles": ["viewer"], "jurisdiction": ["city"], "rate_limit_per_minute": 0},
        {
            "name": "k",
            "roles": ["viewer"],
            "jurisdiction": ["city"],
            "expires_at": "2001-01-01T00:00:00Z",
        },
        {
            "name": "k",
            "roles": ["viewer"],
            "jurisdiction": ["city"],
            "expires_at": "2999-01-01T00:00:00",
        },
        {"name": "k", "roles": ["viewer"], "jurisdiction": ["city"], "key": "fsk_mine"},
    ],
)
async def test_invalid_keys_are_422(gateway: RunningGateway, body: dict[str, object]) -> None:
    response = await (await gateway.admin()).post("/api/v1/api-keys", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["errors"]


async def test_unknown_key_ids_and_bad_cursors(gateway: RunningGateway) -> None:
    admin = await gateway.admin()
    missing = await admin.get("/api/v1/api-keys/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["code"] == "api_key_not_found"
    revoke_missing = await admin.post("/api/v1/api-keys/nope/revoke")
    assert revoke_missing.status_code == 404
    bad_cursor = await admin.get("/api/v1/api-keys", params={"cursor": "%%%"})
    assert bad_cursor.status_code == 400


async def test_the_list_pages(gateway: RunningGateway) -> None:
    admin = await gateway.admin()
    for _ in range(3):
        await gateway.new_key()
    first = (await admin.get("/api/v1/api-keys", params={"limit": 2})).json()
    second = (
        await admin.get("/api/v1/api-keys", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert not {k["id"] for k in first["items"]} & {k["id"] for k in second["items"]}


async def test_keys_are_managed_by_people_not_by_keys(gateway: RunningGateway) -> None:
    made = await gateway.new_key(roles=["city_admin"], jurisdiction=["city"])
    client = await gateway.key_client(made["key"])
    for response in (
        await client.get("/api/v1/api-keys"),
        await client.post(
            "/api/v1/api-keys", json={"name": "k", "roles": ["viewer"], "jurisdiction": ["city"]}
        ),
        await client.post(f"/api/v1/api-keys/{made['id']}/revoke"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "api_key_cannot_manage_keys"
