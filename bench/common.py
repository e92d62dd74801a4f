"""Shared bench helpers: latency percentiles, a service in its own process, fresh databases."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("FIRESAFE_BENCH_PG", "postgresql://firesafe:firesafe@127.0.0.1:5432/firesafe")
KAFKA = os.environ.get("FIRESAFE_BENCH_KAFKA", "127.0.0.1:9092")


@dataclass
class Timing:
    label: str
    p50_ms: float
    p99_ms: float
    per_second: float


async def measure(
    label: str, call: Callable[[], Awaitable[object]], *, requests: int, concurrency: int
) -> Timing:
    """`requests` calls spread over `concurrency` workers: latency percentiles and throughput."""
    latencies: list[float] = []
    per_worker = requests // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    for _ in range(min(50, requests // 10)):  # warm up connections and caches
        await call()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return Timing(label, cuts[49] * 1000, cuts[98] * 1000, len(latencies) / elapsed)


def percentiles_ms(seconds: list[float]) -> tuple[float, float, float]:
    """p50, p99 and mean of durations in seconds, in milliseconds."""
    cuts = statistics.quantiles(seconds, n=100)
    return cuts[49] * 1000, cuts[98] * 1000, statistics.fmean(seconds) * 1000


def asyncpg_url(database: str) -> str:
    return f"{PG.rsplit('/', 1)[0]}/{database}"


def sqlalchemy_url(database: str) -> str:
    return asyncpg_url(database).replace("postgresql://", "postgresql+asyncpg://")


@asynccontextmanager
async def fresh_database(prefix: str) -> AsyncIterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        try:
            await drop_database(admin, name)
        finally:
            await admin.close()


async def drop_database(admin: asyncpg.Connection, name: str, attempts: int = 10) -> None:
    """DROP ... WITH (FORCE), waited out while a backend it may not end (autovacuum, run by
    the postgres role) is still in the database."""
    for attempt in range(attempts):
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except asyncpg.InsufficientPrivilegeError:
            if attempt + 1 == attempts:
                raise
            await asyncio.sleep(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def service_process(module: str, env: dict[str, str]) -> AsyncIterator[str]:
    """`python -m <module>` on a free port; yields its base URL once /readyz answers 200."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "--port",
        str(port),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                try:
                    if (await client.get(f"{base}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.returncode is not None:
                    raise RuntimeError(f"{module} exited with {process.returncode}")
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"{module} did not become ready")
        yield base
    finally:
        process.terminate()
        await process.wait()


def report(title: str, pairs: list[tuple[Timing, Timing]]) -> None:
    print(title)
    print(f"  {'query':<44}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}")
    for service, raw in pairs:
        for t in (service, raw):
            print(f"  {t.label:<44}{t.p50_ms:>9.2f}{t.p99_ms:>9.2f}{t.per_second:>9.0f}")
        print(
            f"  {'  ratio service/raw':<44}{service.p50_ms / raw.p50_ms:>8.1f}x"
            f"{service.p99_ms / raw.p99_ms:>8.1f}x{service.per_second / raw.per_second:>8.2f}x"
        )


async def delete_topics(prefix: str) -> None:
    """Delete the Kafka topics whose names start with `prefix` (a bench run's own)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, client_id="bench-cleanup")
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()
