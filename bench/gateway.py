"""The same read through the gateway and straight to the service, in one run: p50, p99 and
throughput at 1, 16 and 64 concurrent clients, as ratios gateway/direct.

Everything in its own process on PostgreSQL and Kafka: the four services and the gateway in
distributed mode (`FIRESAFE_UPSTREAMS`). The read is GET /api/v1/communities/{id} with a
city_admin JWT; through the gateway it also passes the door (token check, rate limit with a
limit high enough never to refuse) and the proxy. Target: gateway p50 within direct p50 + 1 ms,
throughput at least 0.6x direct. Needs `make infra-up`.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from contextlib import AsyncExitStack

import httpx

from bench.common import KAFKA, Timing, fresh_database, measure, service_process, sqlalchemy_url
from firesafe_kit.auth.jwt import mint_token
from firesafe_kit.settings import KitSettings

SERVICES = {
    "registry": "registry",
    "inspection": "inspection",
    "duty-roster": "duty_roster",
    "alerts": "alerts",
}
CONCURRENCY = (1, 16, 64)
REQUESTS = {1: 1000, 16: 3000, 64: 6000}
P50_BUDGET_MS = 1.0
THROUGHPUT_FLOOR = 0.6


async def _seed_community(client: httpx.AsyncClient) -> str:
    async def post(path: str, body: dict[str, object]) -> str:
        response = await client.post(path, json=body)
        response.raise_for_status()
        return str(response.json()["id"])

    district = await post("/api/v1/districts", {"code": "140105", "name": "小店区"})
    street = await post(
        "/api/v1/streets", {"district_id": district, "code": "140105001", "name": "坞城街道"}
    )
    return await post(
        "/api/v1/communities",
        {
            "street_id": street,
            "code": "140105001001",
            "name": "幸福里社区",
            "responsible_person": {"name": "王小明", "phone": "13612345678"},
            "safety_managers": [
                {"name": "李四", "phone": "13712345678", "employment": "full_time"}
            ],
        },
    )


async def _start_platform(stack: AsyncExitStack) -> tuple[str, str]:
    """The base URLs of the registry and of the gateway in front of all four services."""
    prefix = f"bench-gw-{uuid.uuid4().hex[:8]}."  # topics of this run only
    urls: dict[str, str] = {}
    for service, module in SERVICES.items():
        database = await stack.enter_async_context(fresh_database(f"bench_gw_{module}"))
        env = {
            "DATABASE_URL": sqlalchemy_url(database),
            "KAFKA_BOOTSTRAP_SERVERS": KAFKA,
            "FIRESAFE_TOPIC_PREFIX": prefix,
            "FIRESAFE_DEMO_DATA": "0",
        }
        urls[service] = await stack.enter_async_context(service_process(module, env))
    gateway_database = await stack.enter_async_context(fresh_database("bench_gw_gateway"))
    gateway = await stack.enter_async_context(
        service_process(
            "gateway",
            {
                "GATEWAY_DATABASE_URL": sqlalchemy_url(gateway_database),
                "FIRESAFE_UPSTREAMS": json.dumps(urls),
                # Counted like any caller, but never refused during the run.
                "FIRESAFE_RATE_LIMIT_PER_MINUTE": str(10**9),
            },
        )
    )
    return urls["registry"], gateway


# Reads that met a transport error and were made again, per path. On a saturated machine a
# pooled connection now and then meets the server's keep-alive close (either path); such a read
# is retried once, timed with its retry, and counted here rather than ending the run.
RETRIED: Counter[str] = Counter()


async def _read(client: httpx.AsyncClient, path: str, name: str) -> None:
    try:
        response = await client.get(path)
    except httpx.TransportError:
        RETRIED[name] += 1
        response = await client.get(path)
    response.raise_for_status()


async def _compare(
    direct: httpx.AsyncClient, via: httpx.AsyncClient, community: str, concurrency: int
) -> tuple[Timing, Timing]:
    path = f"/api/v1/communities/{community}"

    async def read_direct() -> None:
        await _read(direct, path, "direct")

    async def read_via_gateway() -> None:
        await _read(via, path, "gateway")

    requests = REQUESTS[concurrency]
    direct_timing = await measure(
        f"direct   x{concurrency}", read_direct, requests=requests, concurrency=concurrency
    )
    gateway_timing = await measure(
        f"gateway  x{concurrency}", read_via_gateway, requests=requests, concurrency=concurrency
    )
    return gateway_timing, direct_timing


def _report(rows: list[tuple[int, Timing, Timing]]) -> None:
    print("GET /api/v1/communities/{id}: through the gateway vs straight to the registry")
    print("(PostgreSQL, Kafka, each service and the gateway in its own process)")
    header = f"  {'clients':>7} {'path':<9}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}"
    print(header)
    for concurrency, gateway, direct in rows:
        for name, timing in (("direct", direct), ("gateway", gateway)):
            print(
                f"  {concurrency:>7} {name:<9}{timing.p50_ms:>9.2f}"
                f"{timing.p99_ms:>9.2f}{timing.per_second:>9.0f}"
            )
        p50_delta = gateway.p50_ms - direct.p50_ms
        throughput = gateway.per_second / direct.per_second
        print(
            f"  {'':>7} {'ratio':<9}{gateway.p50_ms / direct.p50_ms:>8.2f}x"
            f"{gateway.p99_ms / direct.p99_ms:>8.2f}x{throughput:>8.2f}x"
            f"   p50 +{p50_delta:.2f} ms ({'ok' if p50_delta <= P50_BUDGET_MS else 'MISSED'}"
            f" ≤ +{P50_BUDGET_MS:g}), throughput "
            f"{'ok' if throughput >= THROUGHPUT_FLOOR else 'MISSED'}"
            f" (≥ {THROUGHPUT_FLOOR:g}x)"
        )
    print(
        f"  reads retried after a transport error: direct {RETRIED['direct']}, "
        f"gateway {RETRIED['gateway']}"
    )


async def main(*, events: int = 0) -> None:
    token = mint_token(
        KitSettings(database_url="sqlite://unused"),
        sub="bench",
        name="bench",
        roles=["city_admin"],
        jurisdiction=["city"],
    )
    headers = {"Authorization": f"Bearer {token}"}
    rows: list[tuple[int, Timing, Timing]] = []
    async with AsyncExitStack() as stack:
        registry, gateway = await _start_platform(stack)
        for concurrency in CONCURRENCY:
            limits = httpx.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency
            )
            async with (
                httpx.AsyncClient(base_url=registry, headers=headers, limits=limits) as direct,
                httpx.AsyncClient(base_url=gateway, headers=headers, limits=limits) as via,
            ):
                if not rows:
                    community = await _seed_community(direct)
                gateway_timing, direct_timing = await _compare(direct, via, community, concurrency)
            rows.append((concurrency, gateway_timing, direct_timing))
    _report(rows)
