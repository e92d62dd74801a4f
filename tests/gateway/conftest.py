"""The gateway in process on the selected backends.

`gateway`: embedded mode, the four services in this process on fresh databases (and Kafka on
the real backends), shared by the package. `distributed`: a gateway of its own per test whose
upstreams are URLs (a stub on a real port, a closed port), for failures and small limits.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AsyncExitStack,
    asynccontextmanager,
    contextmanager,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.config import GatewaySettings
from gateway.main import create_app
from gateway.upstreams import Upstream
from tests.gateway.support import SERVICES, bearer
from tests.support.backends import KAFKA, Backends


@dataclass
class RunningGateway:
    app: FastAPI
    settings: GatewaySettings
    stack: AsyncExitStack
    clients: dict[tuple[str, ...], httpx.AsyncClient] = field(default_factory=dict)

    def anonymous(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=("203.0.113.7", 4711)),
            base_url="http://gateway",
        )

    async def client(
        self, role: str = "city_admin", *scopes: str, sub: str = ""
    ) -> httpx.AsyncClient:
        key = (role, *scopes, sub)
        if key not in self.clients:
            client = self.anonymous()
            client.headers.update(bearer(self.settings, role, *scopes, sub=sub))
            self.clients[key] = await self.stack.enter_async_context(client)
        return self.clients[key]

    async def admin(self) -> httpx.AsyncClient:
        return await self.client("city_admin", "city")

    @contextmanager
    def requests_to(self, service: str) -> Iterator[list[httpx.Request]]:
        """The requests the proxy sends to `service` meanwhile."""
        upstream: Upstream = self.app.state.upstreams[service]
        seen: list[httpx.Request] = []
        real = upstream.transport

        class Recording(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                seen.append(request)
                return await real.handle_async_request(request)

        upstream.transport = Recording()
        try:
            yield seen
        finally:
            upstream.transport = real

    async def key_client(self, key: str) -> httpx.AsyncClient:
        client = self.anonymous()
        client.headers["X-API-Key"] = key
        return await self.stack.enter_async_context(client)

    async def new_key(self, **body: Any) -> dict[str, Any]:
        """An API key made by a city admin; the answer includes the key itself."""
        request = {
            "name": "第三方",
            "roles": ["viewer"],
            "jurisdiction": ["city"],
            "rate_limit_per_minute": 10_000,
            **body,
        }
        response = await (await self.admin()).post("/api/v1/api-keys", json=request)
        assert response.status_code == 201, response.text
        return dict(response.json())


@asynccontextmanager
async def running(settings: GatewaySettings) -> AsyncIterator[RunningGateway]:
    app = create_app(settings)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        yield RunningGateway(app=app, settings=settings, stack=stack)


@pytest.fixture(scope="package")
async def gateway(
    backends: Backends, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningGateway]:
    urls = {service: await backends.database_url(service) for service in SERVICES}
    settings = GatewaySettings(
        database_url=await backends.database_url("gateway"),
        service_database_urls=urls,
        upstreams={},
        data_dir=tmp_path_factory.mktemp("gateway"),
        kafka_bootstrap_servers=KAFKA if backends.real else "",
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
        relay_idle_seconds=0.2,
        # The matrix sends many requests per identity; the limits have tests of their own.
        rate_limit_per_minute=100_000,
    )
    async with running(settings) as gateway:
        yield gateway


Distributed = Callable[..., AbstractAsyncContextManager[RunningGateway]]


@pytest.fixture
def distributed(backends: Backends, tmp_path: Path) -> Distributed:
    """`async with distributed(upstreams={...}, **settings) as gw`: services not named in
    `upstreams` are given `default_url`."""

    @asynccontextmanager
    async def build(
        *, default_url: str, upstreams: dict[str, str] | None = None, **overrides: Any
    ) -> AsyncIterator[RunningGateway]:
        settings = GatewaySettings(
            database_url=await backends.database_url("gateway"),
            upstreams={service: default_url for service in SERVICES} | (upstreams or {}),
            data_dir=tmp_path,
            **overrides,
        )
        async with running(settings) as gateway:
            yield gateway

    return build
