"""The platform as an operator runs it: `python -m gateway` in its own process.

On the embedded backends this is `make run` (SQLite files and the in-process bus in one
data dir); on the real backends the same process runs on PostgreSQL and Kafka. An event
written to the registry's outbox must reach the three other services' jurisdiction trees;
Ctrl-C must stop the process cleanly, and a restart must keep the data and apply nothing twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from firesafe_kit.auth.jwt import mint_token
from firesafe_kit.db import Database
from firesafe_kit.events.outbox import OutboxWriter
from firesafe_kit.settings import KitSettings
from firesafe_kit.tables import inbox, tree_nodes
from tests.support.backends import KAFKA, Backends
from tests.support.events import wait_until
from tests.support.registry_data import make_tree

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["registry", "inspection", "duty-roster", "alerts"]
TREE_KEEPERS = ["inspection", "duty-roster", "alerts"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Platform:
    env: dict[str, str]
    port: int
    database_urls: dict[str, str]
    topic_prefix: str
    process: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway", "--port", str(self.port), cwd=ROOT, env=self.env
        )

        async def ready() -> bool:
            assert self.process and self.process.returncode is None, "platform exited"
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"{self.base}/readyz", timeout=3)).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(ready, timeout=120, interval=0.3)

    async def interrupt(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        return await asyncio.wait_for(self.process.wait(), 60)

    async def kill(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@pytest.fixture
async def platform(backends: Backends, tmp_path: Path) -> AsyncIterator[Platform]:
    prefix = f"t{uuid.uuid4().hex[:10]}."
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(
        FIRESAFE_DATA_DIR=str(tmp_path / "data"),
        FIRESAFE_TOPIC_PREFIX=prefix,
        FIRESAFE_RELAY_IDLE_SECONDS="0.2",
        PYTHONPATH=str(ROOT),
    )
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    urls: dict[str, str] = {}
    for service in SERVICES:
        if backends.real:
            urls[service] = await backends.database_url(service)
            env[f"{service.upper().replace('-', '_')}_DATABASE_URL"] = urls[service]
        else:
            urls[service] = f"sqlite+aiosqlite:///{(tmp_path / 'data' / service).resolve()}.sqlite"
    if backends.real:
        env["KAFKA_BOOTSTRAP_SERVERS"] = KAFKA
    running = Platform(env=env, port=free_port(), database_urls=urls, topic_prefix=prefix)
    yield running
    await running.kill()


async def tree_state(url: str, community_id: str) -> tuple[str | None, int]:
    db = Database(url)
    try:
        async with db.session() as session:
            parent = (
                await session.execute(
                    select(tree_nodes.c.parent_id).where(tree_nodes.c.id == community_id)
                )
            ).scalar_one_or_none()
            applied = (await session.execute(select(func.count()).select_from(inbox))).scalar_one()
        return parent, int(applied)
    finally:
        await db.dispose()


async def test_platform_serves_delivers_events_stops_cleanly_and_keeps_data(
    platform: Platform,
) -> None:
    await platform.start()
    async with httpx.AsyncClient(base_url=platform.base) as client:
        ready = (await client.get("/readyz")).json()
        assert set(ready["checks"]) == {"database", *SERVICES}  # the gateway's own: API keys
        unknown = await client.get("/api/v1/no-such-thing", headers={"X-Request-ID": "e2e-1"})
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/problem+json")
        assert unknown.headers["x-request-id"] == "e2e-1"

    # A registry change, as the registry service will write it: the row and its event together.
    registry = Database(platform.database_urls["registry"])
    writer = OutboxWriter(service="registry", topic=f"{platform.topic_prefix}firesafe.registry.v1")
    community_id = str(uuid.uuid4())
    async with registry.transaction() as session:
        await writer.publish(
            session,
            type="firesafe.registry.community.created",
            subject=community_id,
            data={"id": community_id, "street_id": "street-1", "district_id": "district-1"},
            partition_key=community_id,
        )
    await registry.dispose()

    async def everywhere() -> bool:
        states = [await tree_state(platform.database_urls[s], community_id) for s in TREE_KEEPERS]
        return all(parent == "street-1" for parent, _ in states)

    await wait_until(everywhere, timeout=90, interval=0.3)
    assert await platform.interrupt() == 0

    await platform.start()  # the same data dir / databases: data survive, nothing re-applied
    await asyncio.sleep(2)
    for service in TREE_KEEPERS:
        assert await tree_state(platform.database_urls[service], community_id) == ("street-1", 1)
    assert await platform.interrupt() == 0


@pytest.mark.parametrize(
    "module",
    ["registry.main", "inspection.main", "duty_roster.main", "alerts.main", "gateway.main"],
)
async def test_each_deployable_starts_on_its_own_with_uvicorn(
    module: str, platform: Platform, tmp_path: Path
) -> None:
    """`uvicorn <pkg>.main:create_app --factory`: the gateway alone points at nothing here, so
    it is given one upstream URL that is down and must still start and answer /healthz."""
    env = dict(platform.env)
    if module == "gateway.main":
        env["FIRESAFE_UPSTREAMS"] = (
            '{"registry": "http://127.0.0.1:9", "inspection": "http://127.0.0.1:9", "duty-roster": "http://127.0.0.1:9", "alerts": "http://127.0.0.1:9"}'
        )
    else:
        service = module.split(".")[0].replace("_", "-")
        env["DATABASE_URL"] = platform.database_urls[service]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        f"{module}:create_app",
        "--factory",
        "--port",
        str(platform.port),
        cwd=ROOT,
        env=env,
    )
    platform.process = process  # so the fixture kills it if the test fails

    async def alive() -> bool:
        assert process.returncode is None, "exited early"
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"{platform.base}/healthz", timeout=3)).status_code == 200
        except httpx.TransportError:
            return False

    await wait_until(alive, timeout=90, interval=0.3)
    async with httpx.AsyncClient() as client:
        ready = await client.get(f"{platform.base}/readyz", timeout=10)
    if module == "gateway.main":
        assert ready.status_code == 503  # its upstreams are down: reported, not hidden
        checks = ready.json()["checks"]
        assert checks.pop("database") == "ok"  # the gateway's own database (API keys)
        assert all(v != "ok" for v in checks.values())
    else:
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    assert await platform.interrupt() == 0


async def test_a_registry_change_through_the_front_door_raises_and_resolves_an_alert(
    platform: Platform,
) -> None:
    """The whole path in the operator's process: gateway → registry → outbox → broker →
    the alerts service's rules → `/api/v1/alerts` through the gateway again."""
    await platform.start()
    token = mint_token(
        KitSettings(), sub="e2e-admin", name="端到端", roles=["city_admin"], jurisdiction=["city"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=platform.base, headers=headers, timeout=10) as client:
        tree = await make_tree(client)

        async def alert_is(status: str) -> bool:
            response = await client.get(
                "/api/v1/alerts",
                params={"kind": "missing_fire_pact", "community_id": tree.community_id},
            )
            items = response.json()["items"] if response.status_code == 200 else []
            return [a["status"] for a in items] == [status]

        await wait_until(lambda: alert_is("open"), timeout=60, interval=0.3)
        fixed = await client.patch(
            f"/api/v1/communities/{tree.community_id}",
            json={"fire_pact": {"adopted_on": "2026-11-01"}},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert fixed.status_code == 200, fixed.text
        await wait_until(lambda: alert_is("resolved"), timeout=60, interval=0.3)
    assert await platform.interrupt() == 0
