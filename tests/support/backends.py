"""Where tests get databases and brokers.

FIRESAFE_TEST_BACKENDS=embedded (default): SQLite files and the in-process bus in a temp dir.
FIRESAFE_TEST_BACKENDS=real: PostgreSQL and Kafka on loopback (`make infra-up`); the run fails,
never skips, when either is unreachable.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from firesafe_kit.events.broker import Broker
from firesafe_kit.events.bus import LocalLogBroker
from firesafe_kit.events.kafka import KafkaBroker

PG_URL = os.environ.get(
    "FIRESAFE_TEST_PG_URL", "postgresql://firesafe:firesafe@127.0.0.1:5432/firesafe"
)
KAFKA = os.environ.get("FIRESAFE_TEST_KAFKA", "127.0.0.1:9092")
REDIS = os.environ.get("FIRESAFE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def selected() -> str:
    value = os.environ.get("FIRESAFE_TEST_BACKENDS", "embedded")
    if value not in {"embedded", "real"}:
        raise SystemExit(f"FIRESAFE_TEST_BACKENDS must be 'embedded' or 'real', not {value!r}")
    return value


@dataclass
class Backends:
    kind: str
    tmp: Path
    created_databases: list[str] = field(default_factory=list)

    @property
    def real(self) -> bool:
        return self.kind == "real"

    async def database_url(self, name: str) -> str:
        """A fresh, empty database for one test or one service."""
        unique = f"t_{name.replace('-', '_')}_{uuid.uuid4().hex[:10]}"
        if not self.real:
            return f"sqlite+aiosqlite:///{self.tmp / unique}.sqlite"
        connection = await asyncpg.connect(PG_URL)
        try:
            await connection.execute(f'CREATE DATABASE "{unique}"')
        finally:
            await connection.close()
        self.created_databases.append(unique)
        base = PG_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return f"{base}/{unique}"

    def broker(self, *, client_id: str = "test") -> Broker:
        if self.real:
            return KafkaBroker(KAFKA, client_id=client_id)
        return LocalLogBroker.shared(self.tmp / f"bus-{uuid.uuid4().hex[:8]}.sqlite")

    def bus_path(self) -> Path:
        return self.tmp / "bus.sqlite"

    async def drop_databases(self) -> None:
        if not self.created_databases:
            return
        connection = await asyncpg.connect(PG_URL)
        try:
            for name in self.created_databases:
                await _drop(connection, name)
        finally:
            await connection.close()


async def _drop(connection: asyncpg.Connection, name: str, attempts: int = 10) -> None:
    """WITH (FORCE) may not end a backend of another role (autovacuum): wait it out."""
    for attempt in range(attempts):
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except asyncpg.InsufficientPrivilegeError:
            if attempt + 1 == attempts:
                raise
            await asyncio.sleep(1)


async def check_reachable() -> None:
    """Fail loudly when the real backends were asked for and are not there."""
    try:
        connection = await asyncio.wait_for(asyncpg.connect(PG_URL), 5)
        await connection.close()
    except Exception as exc:
        raise RuntimeError(f"PostgreSQL unreachable at {PG_URL}: {exc!r} (make infra-up)") from exc
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, request_timeout_ms=5000)
    try:
        await asyncio.wait_for(admin.start(), 10)
        await asyncio.wait_for(admin.list_topics(), 10)
    except Exception as exc:
        raise RuntimeError(f"Kafka unreachable at {KAFKA}: {exc!r} (make infra-up)") from exc
    finally:
        await admin.close()
