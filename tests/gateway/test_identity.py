"""Identity at the door, across every route group: no or bad credentials are a 401 before any
service is asked; good ones reach the owning service, which checks them again (404 outside
the jurisdiction, 403 for a forbidden action) and sees who is calling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from firesafe_kit.db import Database
from gateway.api_keys.key_material import new_key
from gateway.config import DEFAULT_ROUTES
from gateway.models import ApiKey
from registry.validators import make_id_number
from tests.gateway.conftest import RunningGateway
from tests.gateway.support import (
    PROBLEM,
    Tree,
    bad_bearer_tokens,
    bearer,
    created,
    make_tree,
)

# One path per route group: every routed segment, and the gateway's own segments.
ROUTE_GROUPS = [
    *(f"/api/v1/{segment}" for segment in sorted(DEFAULT_ROUTES)),
    "/api/v1/api-keys",
    "/api/v1/scorecards/communities/c-1",
]
REGISTRY_LISTS = [
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
    "audit-log",
]


async def refusals(client: httpx.AsyncClient, headers: dict[str, str], code: str) -> list[str]:
    """Route groups (and methods) that did not answer 401 `code` as problem+json."""
    wrong: list[str] = []
    for path in ROUTE_GROUPS:
        for method in ("GET", "POST"):
            response = await client.request(method, path, headers=headers, json={})
            body = response.json()
            if (
                response.status_code != 401
                or not response.headers["content-type"].startswith(PROBLEM)
                or body.get("code") != code
                or "www-authenticate" not in response.headers
            ):
                wrong.append(f"{method} {path}: {response.status_code} {body.get('code')}")
    return wrong


@pytest.mark.parametrize(
    "name",
    [
        "no token",
        "not bearer",
        "expired",
        "wrong audience",
        "wrong issuer",
        "alg none",
        "wrong signature",
        "garbage",
        "internal token",
    ],
)
async def test_bad_bearer_tokens_are_401_on_every_route_group(
    gateway: RunningGateway, name: str
) -> None:
    authorization, code = bad_bearer_tokens(gateway.settings)[name]
    headers = {"Authorization": authorization} if authorization else {}
    async with gateway.anonymous() as client:
        with gateway.requests_to("registry") as reached:
            assert await refusals(client, headers, code) == []
    assert reached == []  # refused at the door: no service was asked


async def revoked_key(gateway: RunningGateway) -> str:
    made = await gateway.new_key(name="吊销")
    revoked = await (await gateway.admin()).post(f"/api/v1/api-keys/{made['id']}/revoke")
    assert revoked.status_code == 200
    return str(made["key"])


async def expired_key(gateway: RunningGateway) -> str:
    made = await gateway.new_key(name="过期")
    # A key cannot be created expired; age this one in the database.
    database = Database(gateway.settings.database_url)
    try:
        async with database.transaction() as session:
            await session.execute(
                update(ApiKey)
                .where(ApiKey.id == made["id"])  # type: ignore[arg-type]
                .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )
    finally:
        await database.dispose()
    return str(made["key"])


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("unknown key", "api_key_invalid"),
        ("malformed key", "api_key_invalid"),
        ("revoked key", "api_key_revoked"),
        ("expired key", "api_key_expired"),
        ("key and token", "credentials_conflict"),
    ],
)
async def test_bad_api_keys_are_401_on_every_route_group(
    gateway: RunningGateway, name: str, code: str
) -> None:
    headers: dict[str, str]
    if name == "unknown key":
        headers = {"X-API-Key": new_key()}
    elif name == "malformed key":
        headers = {"X-API-Key": "letmein"}
    elif name == "revoked key":
        headers = {"X-API-Key": await revoked_key(gateway)}
    elif name == "expired key":
        headers = {"X-API-Key": await expired_key(gateway)}
    else:
        good = await gateway.new_key()
        headers = {"X-API-Key": good["key"], **bearer(gateway.settings)}
    async with gateway.anonymous() as client:
        assert await refusals(client, headers, code) == []


@pytest.mark.parametrize("credential", ["jwt", "api key"])
async def test_good_credentials_reach_the_owning_service_of_every_segment(
    gateway: RunningGateway, credential: str
) -> None:
    if credential == "jwt":
        client = await gateway.admin()
    else:
        made = await gateway.new_key(roles=["city_admin"], jurisdiction=["city"])
        client = await gateway.key_client(made["key"])
    for segment, service in sorted(DEFAULT_ROUTES.items()):
        with gateway.requests_to(service) as reached:
            response = await client.get(f"/api/v1/{segment}")
        assert [r.url.path for r in reached] == [f"/api/v1/{segment}"], segment
        assert response.status_code not in (401, 403), (segment, response.text)
        if segment in REGISTRY_LISTS:
            assert response.status_code == 200, (segment, response.text)
            assert "items" in response.json()
        assert "ratelimit-remaining" in response.headers


async def test_the_documents_and_unknown_segments_need_no_identity(
    gateway: RunningGateway,
) -> None:
    async with gateway.anonymous() as client:
        unknown = await client.get("/api/v1/no-such-thing")
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "not_found"
        for path in ("/api/v1/openapi.json", "/api/v1/asyncapi.json"):
            assert (await client.get(path)).status_code != 401, path
        assert (await client.get("/healthz")).status_code == 200


@pytest.fixture(scope="module")
async def trees(gateway: RunningGateway) -> tuple[Tree, Tree]:
    admin = await gateway.admin()
    return await make_tree(admin), await make_tree(admin)


async def test_outside_the_jurisdiction_is_404_for_tokens_and_keys(
    gateway: RunningGateway, trees: tuple[Tree, Tree]
) -> None:
    mine, other = trees
    staff = await gateway.client("community_staff", f"community:{mine.community_id}")
    key = await gateway.new_key(
        roles=["community_staff"], jurisdiction=[f"community:{mine.community_id}"]
    )
    keyed = await gateway.key_client(key["key"])
    for client in (staff, keyed):
        assert (await client.get(f"/api/v1/communities/{mine.community_id}")).status_code == 200
        outside = await client.get(f"/api/v1/communities/{other.community_id}")
        assert outside.status_code == 404, outside.text
        assert outside.headers["content-type"].startswith(PROBLEM)
        listed = (await client.get("/api/v1/communities")).json()["items"]
        assert [c["id"] for c in listed] == [mine.community_id]


async def test_a_forbidden_action_is_403_for_tokens_and_keys(
    gateway: RunningGateway, trees: tuple[Tree, Tree]
) -> None:
    mine, _ = trees
    viewer = await gateway.client("viewer", f"district:{mine.district['id']}")
    key = await gateway.new_key(roles=["viewer"], jurisdiction=[f"district:{mine.district['id']}"])
    keyed = await gateway.key_client(key["key"])
    for client in (viewer, keyed):
        assert (await client.get(f"/api/v1/districts/{mine.district['id']}")).status_code == 200
        refused = await client.post("/api/v1/districts", json={"code": "120199", "name": "新区"})
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "forbidden_role"
        deleting = await client.delete(f"/api/v1/communities/{mine.community_id}")
        assert deleting.status_code == 403
    # The gateway's own resource: API keys are for a city-wide city_admin only.
    for role, scope in [
        ("district_officer", "city"),
        ("city_admin", f"district:{mine.district['id']}"),
    ]:
        client = await gateway.client(role, scope)
        assert (await client.get("/api/v1/api-keys")).status_code == 403


async def test_the_service_sees_who_calls_and_the_request_id(
    gateway: RunningGateway, trees: tuple[Tree, Tree]
) -> None:
    """The registry writes every unmasked read of personal data to its audit log with the
    reader and the request id: what it writes is what the gateway passed on."""
    mine, _ = trees
    admin = await gateway.admin()
    resident = await created(
        admin.post(
            "/api/v1/key-residents",
            json={
                "community_id": mine.community_id,
                "category": "elderly_alone",
                "name": "张秀英",
                "phone": "13912345678",
                "id_number": make_id_number("110105", datetime(1938, 2, 3).date(), "456"),
                "address": "幸福小区3号楼2单元501",
                "devices": [],
            },
        )
    )
    key = await gateway.new_key(name="数据平台", roles=["city_admin"], jurisdiction=["city"])
    keyed = await gateway.key_client(key["key"])
    read = await keyed.get(
        f"/api/v1/key-residents/{resident['id']}", headers={"X-Request-ID": "via-key-1"}
    )
    assert read.status_code == 200 and read.json()["masked"] is False
    assert read.headers["x-request-id"] == "via-key-1"
    by_token = await admin.get(
        f"/api/v1/key-residents/{resident['id']}", headers={"X-Request-ID": "via-jwt-1"}
    )
    assert by_token.headers["x-request-id"] == "via-jwt-1"

    log = await admin.get("/api/v1/audit-log", params={"resource_id": resident["id"]})
    rows = {row["request_id"]: row for row in log.json()["items"]}
    assert rows["via-key-1"]["actor_sub"] == f"api-key:{key['id']}"
    assert rows["via-key-1"]["actor_name"] == "数据平台"
    assert rows["via-key-1"]["actor_roles"] == ["city_admin"]
    assert rows["via-jwt-1"]["actor_sub"] == "city_admin-city"
