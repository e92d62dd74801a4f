from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import httpx
from fastapi import FastAPI

from firesafe_kit.http.health import health_router
from firesafe_kit.http.middleware import RequestContextMiddleware


async def ok() -> None:
    return None


async def broken() -> None:
    raise ConnectionRefusedError("database at 10.0.0.5:5432 refused")


def build_app(checks: Mapping[str, Callable[[], Awaitable[None]]]) -> FastAPI:
    app = FastAPI()
    app.include_router(health_router(lambda: checks, timeout_seconds=0.05))
    app.add_middleware(RequestContextMiddleware, service="health-test")

    @app.get("/api/v1/things")
    async def things() -> list[str]:
        return []

    return app


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_healthz_and_ready() -> None:
    async with client_for(build_app({"database": ok, "broker": ok})) as client:
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


async def test_not_ready_reports_failing_and_hanging_checks() -> None:
    never = asyncio.Event()

    async def hangs() -> None:
        await never.wait()

    async with client_for(build_app({"database": broken, "broker": hangs, "cache": ok})) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["cache"] == "ok"
    assert body["checks"]["database"] == "ConnectionRefusedError: database at 10.0.0.5:5432 refused"
    assert body["checks"]["broker"] == "timed out after 0.05s"


async def test_metrics_and_no_schema_entries() -> None:
    async with client_for(build_app({})) as client:
        await client.get("/api/v1/things")
        metrics = await client.get("/metrics")
        schema = await client.get("/openapi.json")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert (
        'firesafe_http_requests_total{method="GET",route="/api/v1/things",'
        'service="health-test",status="200"} 1.0'
    ) in metrics.text
    paths = set(schema.json()["paths"])
    assert paths == {"/api/v1/things"}
