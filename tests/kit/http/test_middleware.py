from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from prometheus_client import REGISTRY

from firesafe_kit.http.middleware import (
    BodyLimitMiddleware,
    JsonContentTypeMiddleware,
    RequestContextMiddleware,
    is_json_media_type,
)
from firesafe_kit.http.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from firesafe_kit.observability.context import current_request_id, current_traceparent

LIMIT = 1024


def build_app(service: str) -> tuple[FastAPI, list[bytes]]:
    """The recommended stack; `bodies` records what the endpoints actually read."""
    app = FastAPI()
    install_problem_handlers(app)
    bodies: list[bytes] = []

    @app.get("/items/{item_id}")
    async def read_item(item_id: str) -> dict[str, str | None]:
        return {
            "item_id": item_id,
            "request_id": current_request_id(),
            "traceparent": current_traceparent(),
        }

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        body = await request.body()
        bodies.append(body)
        return {"size": len(body)}

    @app.post("/imports/csv")
    async def import_csv(request: Request) -> dict[str, int]:
        body = await request.body()
        bodies.append(body)
        return {"size": len(body)}

    app.add_middleware(JsonContentTypeMiddleware, exempt_prefixes=("/imports/",))
    app.add_middleware(BodyLimitMiddleware, max_bytes=LIMIT)
    app.add_middleware(RequestContextMiddleware, service=service)
    return app, bodies


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


async def test_request_id_is_echoed_when_sane_and_generated_otherwise() -> None:
    app, _ = build_app("mw-request-id")
    async with client_for(app) as client:
        echoed = await client.get("/items/1", headers={"X-Request-ID": "req-42.a:b_C"})
        insane = await client.get("/items/1", headers={"X-Request-ID": "bad id<script>"})
        too_long = await client.get("/items/1", headers={"X-Request-ID": "a" * 129})
        missing = await client.get("/items/1")

    assert echoed.headers["x-request-id"] == "req-42.a:b_C"
    assert echoed.json()["request_id"] == "req-42.a:b_C"  # visible in the contextvar
    for response in (insane, too_long, missing):
        generated = response.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated)
        assert response.json()["request_id"] == generated
    assert missing.headers["x-request-id"] != insane.headers["x-request-id"]
    assert current_request_id() is None  # reset after the request


async def test_traceparent_is_continued_with_a_new_span() -> None:
    app, _ = build_app("mw-trace")
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    async with client_for(app) as client:
        continued = await client.get("/items/1", headers={"traceparent": incoming})
        fresh = await client.get("/items/1")
        garbage = await client.get("/items/1", headers={"traceparent": "00-zz-yy-01"})

    outgoing = TRACEPARENT.match(continued.headers["traceparent"])
    assert outgoing is not None
    assert outgoing.group(1) == "4bf92f3577b34da6a3ce929d0e0e4736"  # same trace
    assert outgoing.group(2) != "00f067aa0ba902b7"  # new span
    assert outgoing.group(3) == "01"
    assert continued.json()["traceparent"] == continued.headers["traceparent"]
    for response in (fresh, garbage):
        started = TRACEPARENT.match(response.headers["traceparent"])
        assert started is not None
        assert started.group(1) != "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_metrics_use_the_route_template_and_access_log_is_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = "mw-metrics"
    app, _ = build_app(service)
    caplog.set_level(logging.INFO, logger="firesafe.access")
    async with client_for(app) as client:
        for item in ("a", "b", "c"):
            await client.get(f"/items/{item}")
        await client.get("/no/such/path")

    def count(route: str, status: str) -> float | None:
        return REGISTRY.get_sample_value(
            "firesafe_http_requests_total",
            {"service": service, "method": "GET", "route": route, "status": status},
        )

    assert count("/items/{item_id}", "200") == 3
    assert count("/items/a", "200") is None
    assert count("unmatched", "404") == 1
    latency = REGISTRY.get_sample_value(
        "firesafe_http_request_duration_seconds_count",
        {"service": service, "method": "GET", "route": "/items/{item_id}"},
    )
    assert latency == 3

    lines = [r for r in caplog.records if r.name == "firesafe.access"]
    assert len(lines) == 4
    first = lines[0]
    assert first.__dict__["method"] == "GET"
    assert first.__dict__["route"] == "/items/{item_id}"
    assert first.__dict__["status"] == 200
    assert isinstance(first.__dict__["duration_ms"], float)
    assert lines[-1].__dict__["route"] == "unmatched"
    assert lines[-1].__dict__["status"] == 404


async def test_body_over_the_declared_length_is_413() -> None:
    app, bodies = build_app("mw-413-length")
    async with client_for(app) as client:
        too_big = await client.post(
            "/upload", content=b"{}" + b" " * LIMIT, headers={"Content-Type": "application/json"}
        )
        fits = await client.post(
            "/upload",
            content=b" " * (LIMIT - 2) + b"{}",
            headers={"Content-Type": "application/json"},
        )
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert too_big.json()["code"] == "payload_too_large"
    assert "x-request-id" in too_big.headers
    assert fits.status_code == 200
    assert bodies == [b" " * (LIMIT - 2) + b"{}"]  # the big one never reached the app


async def test_streamed_body_over_the_limit_is_413() -> None:
    app, bodies = build_app("mw-413-stream")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 400  # no Content-Length: only counting can catch it

    async with client_for(app) as client:
        response = await client.post(
            "/upload",
            content=chunks(),
            headers={"Content-Type": "application/json", "Accept-Language": "en"},
        )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["title"] == "Payload too large"
    assert response.headers["content-language"] == "en"
    assert bodies == []


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 200),
        ("application/json; charset=utf-8", 200),
        ("application/merge-patch+json", 200),
        ("application/vnd.firesafe.hazard+json", 200),
        ("text/plain", 415),
        ("application/x-www-form-urlencoded", 415),
        ("application/json; charset=latin-1", 415),
        ("text/json", 415),
        (None, 415),
    ],
)
async def test_write_requests_must_be_json(content_type: str | None, status: int) -> None:
    app, _ = build_app("mw-415")
    headers = {"Content-Type": content_type} if content_type else {}
    async with client_for(app) as client:
        response = await client.post("/upload", content=b'{"a": 1}', headers=headers)
    assert response.status_code == status
    if status == 415:
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert response.json()["code"] == "unsupported_media_type"
        assert response.json()["title"] == "不支持的媒体类型"


async def test_empty_bodies_and_exempt_prefixes_skip_the_json_check() -> None:
    app, bodies = build_app("mw-415-exempt")

    async def empty() -> AsyncIterator[bytes]:
        nothing: list[bytes] = []
        for chunk in nothing:
            yield chunk

    async with client_for(app) as client:
        no_body = await client.post("/upload")
        chunked_empty = await client.post("/upload", content=empty())
        csv = await client.post(
            "/imports/csv", content=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"}
        )
        english = await client.post(
            "/upload", content=b"a,b", headers={"Content-Type": "text/csv", "Accept-Language": "en"}
        )
    assert no_body.status_code == 200
    assert chunked_empty.status_code == 200
    assert csv.status_code == 200
    assert bodies == [b"", b"", b"a,b\n1,2\n"]
    assert english.status_code == 415
    assert english.json()["title"] == "Unsupported media type"
    assert english.headers["content-language"] == "en"


def test_is_json_media_type() -> None:
    assert is_json_media_type("Application/JSON")
    assert is_json_media_type('application/problem+json; charset="UTF-8"')
    assert not is_json_media_type("application/jsonx")
    assert not is_json_media_type("")
