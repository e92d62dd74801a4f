"""`/healthz` (alive), `/readyz` (dependencies reachable) and `/metrics` (Prometheus)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[None]]
CHECK_TIMEOUT_SECONDS = 3.0
_MAX_ERROR_TEXT = 300


async def _run_check(name: str, check: Check, limit_seconds: float) -> str:
    try:
        async with asyncio.timeout(limit_seconds):
            await check()
    except TimeoutError:
        result = f"timed out after {limit_seconds:g}s"
    except Exception as exc:
        result = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_TEXT]
    else:
        return "ok"
    log.warning("readiness check failed", extra={"check": name, "error": result})
    return result


def health_router(
    checks: Callable[[], Mapping[str, Check]],
    *,
    timeout_seconds: float = CHECK_TIMEOUT_SECONDS,
) -> APIRouter:
    """`checks` is called per request, so it may name things created later (in the lifespan).

    The checks run concurrently, each bounded by `timeout_seconds`; none of these routes is in
    the OpenAPI document.
    """
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        named = dict(checks())
        results = await asyncio.gather(
            *(_run_check(name, check, timeout_seconds) for name, check in named.items())
        )
        report = dict(zip(named, results, strict=True))
        ready = all(result == "ok" for result in results)
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": report},
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
