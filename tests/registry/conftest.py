"""The registry service in process on the selected backends, with clients per role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from firesafe_kit.auth.jwt import mint_token
from firesafe_kit.runtime import ServiceRuntime
from registry.config import RegistrySettings
from registry.main import create_app
from tests.support.backends import KAFKA, Backends
from tests.support.registry_data import Tree as Tree  # re-exported for the registry tests
from tests.support.registry_data import community_body as community_body
from tests.support.registry_data import created as created
from tests.support.registry_data import make_tree


@dataclass
class RegistryHarness:
    settings: RegistrySettings
    runtime: ServiceRuntime
    transport: httpx.ASGITransport
    stack: AsyncExitStack
    clients: dict[tuple[str, ...], httpx.AsyncClient] = field(default_factory=dict)

    async def client(
        self, role: str = "city_admin", *scopes: str, sub: str | None = None
    ) -> httpx.AsyncClient:
        scopes = scopes or ("city",)
        key = (role, *scopes, sub or "")
        if key not in self.clients:
            token = mint_token(
                self.settings,
                sub=sub or f"{role}-{'-'.join(scopes)}",
                name=f"测试{role}",
                roles=[role],
                jurisdiction=list(scopes),
            )
            client = httpx.AsyncClient(
                transport=self.transport,
                base_url="http://registry",
                headers={"Authorization": f"Bearer {token}"},
            )
            self.clients[key] = await self.stack.enter_async_context(client)
        return self.clients[key]

    async def admin(self) -> httpx.AsyncClient:
        return await self.client("city_admin", "city")

    async def tree(self, *, district_code: str | None = None) -> Tree:
        """A fresh district → street → community."""
        return await make_tree(await self.admin(), district_code=district_code)

    async def compound(self, community_id: str, **overrides: Any) -> dict[str, Any]:
        body = {
            "community_id": community_id,
            "name": f"小区{uuid.uuid4().hex[:6]}",
            "address": "幸福路1号",
            "has_property_service": True,
            "property_company": "安居物业",
            "has_fixed_facilities": True,
            "is_old": False,
            "households": 120,
            **overrides,
        }
        return await created((await self.admin()).post("/api/v1/compounds", json=body))


@pytest.fixture(scope="module")
async def registry(
    backends: Backends, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RegistryHarness]:
    settings = RegistrySettings(
        database_url=await backends.database_url("registry"),
        kafka_bootstrap_servers=KAFKA if backends.real else "",
        data_dir=tmp_path_factory.mktemp("registry"),
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
        relay_idle_seconds=0.1,
    )
    app = create_app(settings)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        yield RegistryHarness(
            settings=settings,
            runtime=app.state.runtime,
            transport=httpx.ASGITransport(app=app),
            stack=stack,
        )
