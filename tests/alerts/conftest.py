"""The registry and the alerts service in process on the selected backends, sharing one
broker and topic prefix, the alerts service on a clock the tests move."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from alerts.config import AlertsSettings
from alerts.main import create_app as create_alerts
from alerts.scheduler import Scheduler
from firesafe_kit.auth.jwt import mint_token
from firesafe_kit.clock import ManualClock
from firesafe_kit.runtime import ServiceRuntime
from registry.config import RegistrySettings
from registry.main import create_app as create_registry
from tests.support.backends import KAFKA, Backends
from tests.support.events import wait_until
from tests.support.registry_data import Tree, make_tree

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@dataclass
class AlertsHarness:
    alerts_app: FastAPI
    registry_app: FastAPI
    clock: ManualClock
    stack: AsyncExitStack
    clients: dict[tuple[str, ...], httpx.AsyncClient] = field(default_factory=dict)

    @property
    def settings(self) -> AlertsSettings:
        settings: AlertsSettings = self.alerts_app.state.alerts.settings
        return settings

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.alerts_app.state.runtime
        return runtime

    @property
    def scheduler(self) -> Scheduler:
        scheduler: Scheduler = self.alerts_app.state.scheduler
        return scheduler

    async def _client(self, app: FastAPI, role: str, scopes: tuple[str, ...], sub: str) -> Any:
        key = (str(id(app)), role, *scopes, sub)
        if key not in self.clients:
            token = mint_token(
                self.settings,
                sub=sub or f"{role}-{'-'.join(scopes)}",
                name=f"测试{role}",
                roles=[role],
                jurisdiction=list(scopes),
            )
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://test",
                headers={"Authorization": f"Bearer {token}"},
            )
            self.clients[key] = await self.stack.enter_async_context(client)
        return self.clients[key]

    async def alerts(
        self, role: str = "city_admin", *scopes: str, sub: str = ""
    ) -> httpx.AsyncClient:
        client: httpx.AsyncClient = await self._client(
            self.alerts_app, role, scopes or ("city",), sub
        )
        return client

    async def registry(self) -> httpx.AsyncClient:
        client: httpx.AsyncClient = await self._client(
            self.registry_app, "city_admin", ("city",), ""
        )
        return client

    async def tree(self) -> Tree:
        """A fresh district → street → community in the registry."""
        return await make_tree(await self.registry())

    async def alerts_where(
        self,
        predicate: Callable[[list[dict[str, Any]]], bool],
        timeout: float = 20.0,
        **params: Any,
    ) -> list[dict[str, Any]]:
        """Poll `/alerts?params` until `predicate(items)` holds (events are asynchronous)."""
        client = await self.alerts()
        found: list[dict[str, Any]] = []

        async def check() -> bool:
            nonlocal found
            response = await client.get("/api/v1/alerts", params={"limit": 200, **params})
            assert response.status_code == 200, response.text
            found = response.json()["items"]
            return predicate(found)

        await wait_until(check, timeout=timeout)
        return found

    async def settled(self, check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
        await wait_until(check, timeout=timeout)


@pytest.fixture(scope="module")
async def platform(
    backends: Backends, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AlertsHarness]:
    data_dir = tmp_path_factory.mktemp("alerts-platform")
    shared: dict[str, Any] = {
        "kafka_bootstrap_servers": KAFKA if backends.real else "",
        "data_dir": data_dir,  # one embedded bus for both services
        "topic_prefix": f"t{uuid.uuid4().hex[:10]}.",
        "relay_idle_seconds": 0.1,
    }
    registry_app = create_registry(
        RegistrySettings(database_url=await backends.database_url("registry"), **shared)
    )
    clock = ManualClock(START)
    alerts_app = create_alerts(
        AlertsSettings(
            database_url=await backends.database_url("alerts"),
            scheduler_interval_seconds=3600,  # tests tick the scheduler themselves
            webhook_poll_seconds=0.1,
            webhook_backoff_base_seconds=0.2,
            webhook_backoff_max_seconds=1.0,
            consumer_retry_base_seconds=0.01,
            **shared,
        ),
        clock=clock,
    )
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(registry_app.router.lifespan_context(registry_app))
        await stack.enter_async_context(alerts_app.router.lifespan_context(alerts_app))
        yield AlertsHarness(
            alerts_app=alerts_app, registry_app=registry_app, clock=clock, stack=stack
        )
