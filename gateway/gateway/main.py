"""Builds the gateway: `uvicorn gateway.main:create_app --factory` or `python -m gateway`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from firesafe_kit.http.health import health_router
from firesafe_kit.http.middleware import (
    BodyLimitMiddleware,
    JsonContentTypeMiddleware,
    RequestContextMiddleware,
)
from firesafe_kit.http.problems import install_problem_handlers
from firesafe_kit.settings import KitSettings
from gateway import docs, scorecards
from gateway.api_keys.router import router as api_keys_router
from gateway.config import GATEWAY_SEGMENTS, NON_JSON_PREFIXES, GatewaySettings
from gateway.cors import install_cors
from gateway.database import open_database
from gateway.door.middleware import DoorMiddleware
from gateway.door.setup import open_door
from gateway.proxy import ProxyMiddleware
from gateway.readiness import readiness_checks
from gateway.security_headers import SecurityHeadersMiddleware
from gateway.upstreams import open_upstreams


def create_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings if isinstance(settings, GatewaySettings) else GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            app.state.database = await open_database(settings, stack)
            app.state.upstreams = await open_upstreams(settings, stack)
            door = await open_door(settings, app.state.database, stack)
            app.state.token_verifier = door.authenticator.verifier  # for the kit's CurrentActor
            app.state.door = door
            try:
                yield
            finally:
                app.state.door = None  # refuse new requests while everything closes

    # The merged documents (gateway.docs) replace FastAPI's own /openapi.json and /docs.
    app = FastAPI(title="Firesafe API", version="1.0.0", lifespan=lifespan, **docs.FASTAPI_DOCS_OFF)
    app.state.settings = settings
    app.state.upstreams = {}
    app.state.door = None
    install_problem_handlers(app)
    app.include_router(health_router(lambda: readiness_checks(app)))
    app.include_router(docs.router)
    app.include_router(scorecards.router)
    app.include_router(api_keys_router)
    # Added last runs first, so the order of the requests' way in is, outermost first:
    # security headers → request context (ids, metrics) → CORS → body limit → door (401/429)
    # → JSON content type (415) → the proxy (routed segments) or the gateway's own routes.
    app.add_middleware(
        ProxyMiddleware, routes=settings.routes, get_upstreams=lambda: app.state.upstreams
    )
    app.add_middleware(JsonContentTypeMiddleware, exempt_prefixes=NON_JSON_PREFIXES)
    app.add_middleware(
        DoorMiddleware,
        get_door=lambda: app.state.door,
        protected_segments=frozenset(settings.routes) | GATEWAY_SEGMENTS,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_cors(app, settings)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.env == "prod")
    return app
