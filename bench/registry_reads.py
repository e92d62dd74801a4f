"""Registry reads through the service (its own process, PostgreSQL, Kafka) next to the same
queries on raw asyncpg, in one run: GET /communities/{id} and a list of 50 compounds.

The service does more than the raw query, on purpose: JWT verification, the jurisdiction check,
validation of the answer, JSON, HTTP. The ratios say what that costs. Needs `make infra-up`.
"""

from __future__ import annotations

import asyncpg
import httpx

from bench.common import (
    KAFKA,
    Timing,
    asyncpg_url,
    fresh_database,
    measure,
    report,
    service_process,
)
from firesafe_kit.auth.jwt import mint_token
from registry.config import RegistrySettings

REQUESTS = 2000


async def _seed(client: httpx.AsyncClient) -> tuple[str, str]:
    async def post(path: str, body: dict[str, object]) -> str:
        response = await client.post(path, json=body)
        response.raise_for_status()
        return str(response.json()["id"])

    district = await post("/api/v1/districts", {"code": "140105", "name": "小店区"})
    street = await post(
        "/api/v1/streets", {"district_id": district, "code": "140105001", "name": "坞城街道"}
    )
    community = await post(
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
    for i in range(50):
        await post(
            "/api/v1/compounds",
            {
                "community_id": community,
                "name": f"幸福小区{i}期",
                "address": f"坞城路{i}号",
                "has_property_service": i % 2 == 0,
                "has_fixed_facilities": True,
                "is_old": False,
                "households": 100 + i,
            },
        )
    return community, street


async def main(*, events: int = 0, concurrency: int = 16) -> None:
    async with fresh_database("bench_registry") as database:
        settings = RegistrySettings(database_url="sqlite://unused")
        token = mint_token(
            settings, sub="bench", name="bench", roles=["city_admin"], jurisdiction=["city"]
        )
        env = {
            "DATABASE_URL": asyncpg_url(database).replace("postgresql://", "postgresql+asyncpg://"),
            "KAFKA_BOOTSTRAP_SERVERS": KAFKA,
            "FIRESAFE_TOPIC_PREFIX": f"bench-{database}.",
            "FIRESAFE_DEMO_DATA": "0",
        }
        async with service_process("registry", env) as base:
            limits = httpx.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency
            )
            async with httpx.AsyncClient(
                base_url=base, limits=limits, headers={"Authorization": f"Bearer {token}"}
            ) as client:
                community, _ = await _seed(client)
                pool = await asyncpg.create_pool(
                    asyncpg_url(database), min_size=concurrency, max_size=concurrency
                )
                try:
                    pairs = await _compare(client, pool, community, concurrency)
                finally:
                    await pool.close()
    report(
        f"registry reads on PostgreSQL, {REQUESTS} requests, {concurrency} concurrent clients",
        pairs,
    )


async def _compare(
    client: httpx.AsyncClient, pool: asyncpg.Pool, community: str, concurrency: int
) -> list[tuple[Timing, Timing]]:
    async def service_read() -> None:
        (await client.get(f"/api/v1/communities/{community}")).raise_for_status()

    async def raw_read() -> None:
        await pool.fetchrow(
            "SELECT * FROM communities WHERE id = $1 AND deleted_at IS NULL", community
        )

    async def service_list() -> None:
        response = await client.get(
            "/api/v1/compounds", params={"community_id": community, "limit": 50}
        )
        response.raise_for_status()
        assert len(response.json()["items"]) == 50

    async def raw_list() -> None:
        rows = await pool.fetch(
            "SELECT * FROM compounds WHERE community_id = $1 AND deleted_at IS NULL "
            "ORDER BY created_at, id LIMIT 51",
            community,
        )
        assert len(rows) == 50

    return [
        (
            await measure(
                "GET /communities/{id} via service",
                service_read,
                requests=REQUESTS,
                concurrency=concurrency,
            ),
            await measure(
                "  same row, raw asyncpg", raw_read, requests=REQUESTS, concurrency=concurrency
            ),
        ),
        (
            await measure(
                "GET /compounds?limit=50 via service",
                service_list,
                requests=REQUESTS,
                concurrency=concurrency,
            ),
            await measure(
                "  same 50 rows, raw asyncpg", raw_list, requests=REQUESTS, concurrency=concurrency
            ),
        ),
    ]
