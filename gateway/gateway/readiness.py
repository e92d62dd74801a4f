"""`/readyz` of the gateway: its own database and each upstream's own `/readyz`.

The probes use the shared clients directly, not the circuit breaker: readiness reports what
the upstream says now, and a probe must not count towards (or be refused by) the breaker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from firesafe_kit.db import Database
from gateway.upstreams import Upstream

Check = Callable[[], Awaitable[None]]


class UpstreamNotReady(Exception):
    """The upstream answered its /readyz with something else than 200."""


def _upstream_check(upstream: Upstream) -> Check:
    async def probe() -> None:
        response = await upstream.client.get("/readyz")
        if response.status_code != 200:
            raise UpstreamNotReady(f"{response.status_code} {response.text[:200]}")

    return probe


def readiness_checks(app: FastAPI) -> dict[str, Check]:
    """Called per request: the database and upstreams exist once the lifespan has run."""
    checks: dict[str, Check] = {}
    database: Database | None = getattr(app.state, "database", None)
    if database is not None:
        checks["database"] = database.ping
    upstreams: dict[str, Upstream] = getattr(app.state, "upstreams", {})
    for name, upstream in upstreams.items():
        checks[name] = _upstream_check(upstream)
    return checks
