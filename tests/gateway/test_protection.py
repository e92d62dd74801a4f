"""What the door protects: body size (413), media type (415, CSV imports exempt), browsers
(CORS allow-list, security headers), and the request id and trace that follow a request to
the service and back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from gateway.config import GatewaySettings
from gateway.security_headers import SecurityHeadersMiddleware
from tests.gateway.conftest import Distributed, RunningGateway
from tests.gateway.support import PROBLEM, StubUpstream, bearer, make_tree, raw_get, serving

TEN_MIB = 10 * 1024 * 1024
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


async def test_bodies_over_10_mib_are_413_declared_or_streamed(gateway: RunningGateway) -> None:
    admin = await gateway.admin()
    oversized = b'{"name": "' + b"x" * TEN_MIB + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(oversized), 1024 * 1024):
            yield oversized[start : start + 1024 * 1024]

    with gateway.requests_to("registry") as reached:
        declared = await admin.post(
            "/api/v1/communities", content=oversized, headers={"Content-Type": "application/json"}
        )
        streamed = await admin.post(
            "/api/v1/communities", content=chunks(), headers={"Content-Type": "application/json"}
        )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["code"] == "payload_too_large"
    assert reached == []


async def test_non_json_bodies_are_415_but_csv_imports_pass(gateway: RunningGateway) -> None:
    admin = await gateway.admin()
    with gateway.requests_to("registry") as reached:
        refused = await admin.post(
            "/api/v1/communities", content=b"name=x", headers={"Content-Type": "text/plain"}
        )
    assert refused.status_code == 415 and refused.json()["code"] == "unsupported_media_type"
    assert reached == []
    async with gateway.anonymous() as anonymous:
        # Identity first: a stranger learns nothing about media types.
        unauthenticated = await anonymous.post(
            "/api/v1/communities", content=b"x", headers={"Content-Type": "text/plain"}
        )
    assert unauthenticated.status_code == 401

    tree = await make_tree(admin)
    csv = "name,address,has_property_service,has_fixed_facilities,is_old,households\n甲小区,幸福路1号,否,否,是,10\n"
    imported = await admin.post(
        "/api/v1/imports",
        params={"community_id": tree.community_id, "kind": "compounds"},
        content=csv.encode(),
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    assert imported.status_code == 201, imported.text
    compounds = await admin.get("/api/v1/compounds", params={"community_id": tree.community_id})
    assert [c["name"] for c in compounds.json()["items"]] == ["甲小区"]


async def test_security_headers_on_every_kind_of_answer(gateway: RunningGateway) -> None:
    admin = await gateway.admin()
    async with gateway.anonymous() as anonymous:
        answers = [
            await admin.get("/api/v1/districts"),  # proxied
            await admin.get("/api/v1/api-keys"),  # the gateway's own
            await anonymous.get("/api/v1/districts"),  # 401
            await anonymous.get("/api/v1/nothing-here"),  # 404
            await anonymous.get("/healthz"),
        ]
    for response in answers:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (response.request.url, name)
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "strict-transport-security" not in response.headers  # dev: plain HTTP


async def test_hsts_in_production_and_html_keeps_its_own_policy() -> None:
    async def json_page(_: Any) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def html_page(_: Any) -> HTMLResponse:
        return HTMLResponse("<p>docs</p>")

    app = SecurityHeadersMiddleware(
        Starlette(routes=[Route("/json", json_page), Route("/html", html_page)]), hsts=True
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        api, html = await c.get("/json"), await c.get("/html")
    assert api.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "content-security-policy" in api.headers
    assert "content-security-policy" not in html.headers
    assert html.headers["x-frame-options"] == "DENY"


async def test_cors_follows_the_allow_list(distributed: Distributed) -> None:
    origin = "https://portal.example.cn"
    async with (
        serving(StubUpstream()) as stub,
        distributed(
            default_url=stub.url, cors_allow_origins=[origin], cors_allow_credentials=True
        ) as gw,
        gw.anonymous() as client,
    ):
        preflight = await client.options(
            "/api/v1/communities",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, x-api-key",
            },
        )
        assert preflight.status_code == 200  # no identity needed for a preflight
        assert preflight.headers["access-control-allow-origin"] == origin
        assert preflight.headers["access-control-allow-credentials"] == "true"

        foreign = await client.options(
            "/api/v1/communities",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert foreign.status_code == 400
        assert foreign.headers["content-type"].startswith(PROBLEM)
        assert "access-control-allow-origin" not in foreign.headers

        simple = await client.get(
            "/api/v1/communities", headers={"Origin": origin, **bearer(gw.settings)}
        )
        assert simple.status_code == 200
        assert simple.headers["access-control-allow-origin"] == origin
        assert "ratelimit-remaining" in simple.headers["access-control-expose-headers"].lower()
        other = await client.get(
            "/api/v1/communities", headers={"Origin": "https://evil.example", **bearer(gw.settings)}
        )
        assert "access-control-allow-origin" not in other.headers


def test_a_wildcard_with_credentials_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="credentials"):
        GatewaySettings(cors_allow_origins=["*"], cors_allow_credentials=True)
    # A wildcard without credentials is a choice one may make; the list parses from the env.
    assert GatewaySettings(cors_allow_origins="https://a.cn, https://b.cn").cors_allow_origins == [
        "https://a.cn",
        "https://b.cn",
    ]


async def test_request_id_and_trace_reach_the_service_and_come_back(
    distributed: Distributed,
) -> None:
    async with (
        serving(StubUpstream()) as stub,
        distributed(default_url=stub.url) as gw,
        gw.anonymous() as client,
    ):
        echoed = await client.get(
            "/api/v1/compounds?community_id=%E5%B9%B8&limit=5",
            headers={"X-Request-ID": "client-req-7", "traceparent": TRACE, **bearer(gw.settings)},
        )
        generated = await client.get("/api/v1/compounds", headers=bearer(gw.settings))
    first, second = stub.requests_to("/api/v1/compounds")
    assert echoed.status_code == 200
    assert echoed.headers["x-request-id"] == "client-req-7"  # not the upstream's own
    assert first["headers"]["x-request-id"] == "client-req-7"
    # The same trace, continued by the gateway's own span.
    client_trace, upstream_trace = TRACE.split("-"), first["headers"]["traceparent"].split("-")
    assert upstream_trace[1] == client_trace[1] and upstream_trace[2] != client_trace[2]
    assert echoed.headers["traceparent"] == first["headers"]["traceparent"]
    # The query as sent, still percent-encoded; the client's address for the logs.
    assert (first["path"], first["query"]) == (
        "/api/v1/compounds",
        b"community_id=%E5%B9%B8&limit=5",
    )
    assert first["headers"]["x-forwarded-for"] == "203.0.113.7"

    assert len(generated.headers["x-request-id"]) >= 16
    assert second["headers"]["x-request-id"] == generated.headers["x-request-id"]


async def test_an_api_key_never_leaves_the_gateway(distributed: Distributed) -> None:
    async with (
        serving(StubUpstream()) as stub,
        distributed(default_url=stub.url) as gw,
        gw.anonymous() as client,
    ):
        admin = bearer(gw.settings)
        made = (
            await client.post(
                "/api/v1/api-keys",
                json={"name": "平台", "roles": ["viewer"], "jurisdiction": ["district:d-1"]},
                headers=admin,
            )
        ).json()
        response = await client.get("/api/v1/alerts", headers={"X-API-Key": made["key"]})
        assert response.status_code == 200
        [seen] = stub.requests_to("/api/v1/alerts")
    assert "x-api-key" not in seen["headers"]
    assert made["key"] not in str(seen)
    scheme, _, token = seen["headers"]["authorization"].partition(" ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert scheme == "Bearer"
    assert claims["sub"] == f"api-key:{made['id']}" and claims["via"] == "api_key"
    assert (claims["roles"], claims["jurisdiction"]) == (["viewer"], ["district:d-1"])
    assert claims["exp"] - claims["iat"] <= 300


@pytest.mark.parametrize(
    ("raw_path", "query", "forwarded_path", "forwarded_query"),
    [
        (b"/api/v1/communities/%E5%B9%B8", b"", b"/api/v1/communities/%E5%B9%B8", b""),
        # Bytes a client should have escaped: escaped byte for byte, never re-encoded.
        (b"/api/v1/communities/\xe5\xb9\xb8", b"", b"/api/v1/communities/%E5%B9%B8", b""),
        (b"/api/v1/communities/x\x01y", b"", b"/api/v1/communities/x%01y", b""),
        (b"/api/v1/communities/a#b", b"", b"/api/v1/communities/a%23b", b""),
        (
            b"/api/v1/communities/%ZZ",
            b"q=a b&y=\xff&z=%ZZ",
            b"/api/v1/communities/%ZZ",
            b"q=a%20b&y=%FF&z=%ZZ",
        ),
    ],
)
async def test_odd_request_targets_reach_the_service_byte_for_byte(
    distributed: Distributed,
    raw_path: bytes,
    query: bytes,
    forwarded_path: bytes,
    forwarded_query: bytes,
) -> None:
    async with serving(StubUpstream()) as stub, distributed(default_url=stub.url) as gw:
        status, body = await raw_get(gw.app, raw_path, query, bearer(gw.settings))
    assert status == 200, body
    [seen] = stub.requests_to("/api/v1/communities")
    assert (seen["raw_path"], seen["query"]) == (forwarded_path, forwarded_query)
