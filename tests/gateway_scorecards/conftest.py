"""The gateway in embedded mode (the four services in process, each on a fresh database of
the selected backends), clients per role, and a counter of the requests reaching an upstream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from firesafe_kit.auth.jwt import mint_token
from gateway.breaker import CircuitBreaker
from gateway.config import GatewaySettings
from gateway.main import create_app
from gateway.upstreams import Upstream
from tests.support.backends import KAFKA, Backends

SERVICES = ["registry", "inspection", "duty-roster", "alerts"]


@dataclass
class GatewayHarness:
    app: FastAPI
    settings: GatewaySettings
    stack: AsyncExitStack
    clients: dict[tuple[str, ...], httpx.AsyncClient] = field(default_factory=dict)

    async def client(self, role: str = "city_admin", *scopes: str) -> httpx.AsyncClient:
        scopes = scopes or ("city",)
        key = (role, *scopes)
        if key not in self.clients:
            token = mint_token(
                self.settings,
                sub=f"{role}-{'-'.join(scopes)}",
                name=f"测试{role}",
                roles=[role],
                jurisdiction=list(scopes),
            )
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app),
                base_url="http://gateway",
                headers={"Authorization": f"Bearer {token}"},
            )
            self.clients[key] = await self.stack.enter_async_context(client)
        return self.clients[key]

    async def admin(self) -> httpx.AsyncClient:
        return await self.client("city_admin", "city")

    @contextmanager
    def requests_to(self, service: str) -> Iterator[list[str]]:
        """The paths of the requests the gateway sends to `service` meanwhile."""
        upstream: Upstream = self.app.state.upstreams[service]
        seen: list[str] = []
        send = upstream.send

        async def recording(method: str, url: str, **kwargs: Any) -> Any:
            seen.append(url.split("?", 1)[0])
            return await send(method, url, **kwargs)

        upstream.send = recording  # type: ignore[method-assign]
        try:
            yield seen
        finally:
            del upstream.send  # the class's own method again

    @contextmanager
    def upstream_replaced(
        self, service: str, transport: httpx.AsyncBaseTransport
    ) -> Iterator[None]:
        """`service` answered by `transport` meanwhile (a stopped, slow or broken service)."""
        upstreams: dict[str, Any] = self.app.state.upstreams
        saved = upstreams[service]
        replacement = httpx.AsyncClient(transport=transport, base_url=str(saved.client.base_url))
        stand_in = Upstream(
            service,
            replacement,
            transport=transport,
            breaker=CircuitBreaker(failure_threshold=100, reset_seconds=1),
            retries=0,
            retry_backoff_seconds=0,
            deadline_seconds=5,
        )
        upstreams[service] = stand_in
        try:
            yield
        finally:
            upstreams[service] = saved


@pytest.fixture(scope="module")
async def gateway(
    backends: Backends, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GatewayHarness]:
    env = {
        "FIRESAFE_DATA_DIR": str(tmp_path_factory.mktemp("gateway-scorecards")),
        "FIRESAFE_DEMO_DATA": "0",
        "FIRESAFE_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:10]}.",
        "FIRESAFE_RELAY_IDLE_SECONDS": "0.2",
        "KAFKA_BOOTSTRAP_SERVERS": KAFKA if backends.real else "",
    }
    for service in [*SERVICES, "gateway"]:
        env[f"{service.upper().replace('-', '_')}_DATABASE_URL"] = await backends.database_url(
            service
        )
    async with AsyncExitStack() as stack:
        # The environment is read while the gateway and the services start; restored after.
        with pytest.MonkeyPatch.context() as patch:
            for name in ("DATABASE_URL", "FIRESAFE_UPSTREAMS"):
                patch.delenv(name, raising=False)
            for name, value in env.items():
                patch.setenv(name, value)
            settings = GatewaySettings()
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield GatewayHarness(app=app, settings=settings, stack=stack)
