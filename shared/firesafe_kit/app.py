"""The one way a service builds its FastAPI app: same middleware, errors, health and lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from firesafe_kit.auth.jwt import TokenVerifier
from firesafe_kit.events.catalog import Catalog, catalog_router
from firesafe_kit.http.health import health_router
from firesafe_kit.http.idempotency import IdempotencyMiddleware
from firesafe_kit.http.middleware import (
    BodyLimitMiddleware,
    JsonContentTypeMiddleware,
    RequestContextMiddleware,
)
from firesafe_kit.http.problems import install_problem_handlers
from firesafe_kit.runtime import ServiceRuntime

API_PREFIX = "/api/v1"


def api_router(prefix: str = "", **kwargs: Any) -> APIRouter:
    """A service's router under /api/v1. The prefix is set here, on the router itself, so each
    route's path is the full template that metrics and logs report (FastAPI no longer copies
    routes with the prefix on `include_router`)."""
    return APIRouter(prefix=f"{API_PREFIX}{prefix}", **kwargs)


def create_service_app(
    *,
    runtime: ServiceRuntime,
    routers: Sequence[APIRouter] = (),  # built with api_router()
    title: str,
    description: str = "",
    non_json_prefixes: tuple[str, ...] = (),
    on_started: Sequence[Callable[[ServiceRuntime], Awaitable[None]]] = (),
    catalog: Catalog | None = None,
) -> FastAPI:
    """`on_started` runs after migrations and before the first request (e.g. demo data).
    `catalog` declares the events the service publishes; it is served at /events/catalog.json
    (a service that publishes nothing yet serves an empty one for its topic)."""
    settings = runtime.settings
    if catalog is None:
        topic = runtime.topic.removeprefix(settings.topic_prefix)
        catalog = Catalog(service=settings.service_name, topic=topic)
    if (catalog.service, settings.topic(catalog.topic)) != (
        settings.service_name,
        runtime.topic,
    ):
        raise ValueError(
            f"the catalog of {catalog.service} on {catalog.topic} is not this service's"
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        for hook in on_started:
            await hook(runtime)
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(settings)
    install_problem_handlers(app)
    app.include_router(health_router(runtime.readiness_checks))
    app.include_router(catalog_router(catalog))
    for router in routers:
        app.include_router(router)
    # Added last runs first: context (ids, metrics) wraps everything, idempotency is innermost.
    app.add_middleware(IdempotencyMiddleware, get_database=lambda: runtime.db)
    app.add_middleware(
        JsonContentTypeMiddleware,
        exempt_prefixes=tuple(f"{API_PREFIX}{p}" for p in non_json_prefixes),
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    return app
