"""The gateway in embedded mode (all four services in process, each on a fresh database of
the selected backends), and the registry harness for the event contract test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.main import create_app
from tests.registry.conftest import registry as registry  # re-exported fixture
from tests.support.backends import KAFKA, Backends

SERVICES = ["registry", "inspection", "duty-roster", "alerts"]


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient  # no credentials: the documents are public

    def forget_documents(self) -> None:
        """Drop the cached documents, so the next request builds them again."""
        self.app.state.docs_caches = {}

    @asynccontextmanager
    async def unreachable(self, *services: str) -> AsyncIterator[None]:
        """These upstreams refuse connections (nothing listens on port 9) while inside."""
        upstreams: dict[str, Any] = self.app.state.upstreams
        saved = {name: upstreams[name] for name in services}
        async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2) as dead:
            for name in services:
                upstreams[name] = SimpleNamespace(name=name, client=dead)
            try:
                yield
            finally:
                upstreams.update(saved)


@pytest.fixture(scope="package")
async def running_gateway(
    backends: Backends, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    env = {
        "FIRESAFE_DATA_DIR": str(tmp_path_factory.mktemp("gateway-docs")),
        "FIRESAFE_DEMO_DATA": "0",
        "FIRESAFE_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:10]}.",
        "FIRESAFE_RELAY_IDLE_SECONDS": "0.2",
        "KAFKA_BOOTSTRAP_SERVERS": KAFKA if backends.real else "",
    }
    for service in [*SERVICES, "gateway"]:
        name = f"{service.upper().replace('-', '_')}_DATABASE_URL"
        env[name] = await backends.database_url(service)
    async with AsyncExitStack() as stack:
        # The environment is read while the services start; restored before any test runs.
        with pytest.MonkeyPatch.context() as patch:
            for name in ("DATABASE_URL", "FIRESAFE_UPSTREAMS"):
                patch.delenv(name, raising=False)
            for name, value in env.items():
                patch.setenv(name, value)
            app = create_app()
            await stack.enter_async_context(app.router.lifespan_context(app))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
        yield Gateway(app=app, client=await stack.enter_async_context(client))
