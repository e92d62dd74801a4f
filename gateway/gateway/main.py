"""Builds the gateway: `uvicorn gateway.main:create_app --factory` or `python -m gateway`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from firesafe_kit.http.health import health_router
from firesafe_kit.http.middleware import BodyLimitMiddleware, RequestContextMiddleware
from firesafe_kit.http.problems import install_problem_handlers
from firesafe_kit.settings import KitSettings
from gateway import docs, scorecards
from gateway.config import GatewaySettings
from gateway.proxy import UpstreamUnavailable
from gateway.proxy import router as proxy_router


def _upstream_checks(app: FastAPI) -> dict[str, Callable[[], Awaitable[None]]]:
    def check(name: str) -> Callable[[], Awaitable[None]]:
        async def probe() -> None:
            response = await app.state.upstreams[name].client.get("/readyz")
            if response.status_code != 200:
                raise UpstreamUnavailable(detail=f"{name}: {response.text[:200]}")

        return probe

    return {name: check(name) for name in getattr(app.state, "upstreams", {})}


def create_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings if isinstance(settings, GatewaySettings) else GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from gateway.upstreams import open_upstreams

        async with AsyncExitStack() as stack:
            app.state.upstreams = await open_upstreams(settings, stack)
            yield

    app = FastAPI(title="Firesafe API", version="1.0.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.upstreams = {}
    install_problem_handlers(app)
    app.include_router(health_router(lambda: _upstream_checks(app)))
    app.include_router(docs.router)
    app.include_router(scorecards.router)
    app.include_router(proxy_router)  # last: it catches every /api/v1/<segment>/...
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    return app
