"""Rate limits per API key (its own limit) and per user (the default): 429 problem+json with
Retry-After and the RateLimit headers, which every admitted answer carries too."""

from __future__ import annotations

import uuid

import pytest
from limits.errors import ConfigurationError

from gateway.door.rate_limit import RateLimiter
from tests.gateway.conftest import Distributed, RunningGateway
from tests.gateway.support import PROBLEM, StubUpstream, bearer, serving
from tests.support.backends import REDIS


async def test_a_key_gets_its_own_limit_then_429(gateway: RunningGateway) -> None:
    tiny = await gateway.new_key(rate_limit_per_minute=2)
    other = await gateway.new_key(rate_limit_per_minute=2)
    client = await gateway.key_client(tiny["key"])

    first, second = await client.get("/api/v1/districts"), await client.get("/api/v1/districts")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["ratelimit-limit"] == "2"
    assert (first.headers["ratelimit-remaining"], second.headers["ratelimit-remaining"]) == (
        "1",
        "0",
    )
    assert 0 < int(second.headers["ratelimit-reset"]) <= 60

    refused = await client.get("/api/v1/districts")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-limit"] == "2"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["x-request-id"]
    # Another key, another bucket.
    assert (
        await (await gateway.key_client(other["key"])).get("/api/v1/districts")
    ).status_code == 200


async def test_users_get_the_default_limit_each(distributed: Distributed) -> None:
    async with (
        serving(StubUpstream()) as stub,
        distributed(default_url=stub.url, rate_limit_per_minute=2) as gw,
        gw.anonymous() as client,
    ):
        alice, bob = bearer(gw.settings, sub="alice"), bearer(gw.settings, sub="bob")
        statuses = [
            (await client.get("/api/v1/hazards", headers=alice)).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        assert (await client.get("/api/v1/hazards", headers=bob)).status_code == 200
        # Refused at the door: the upstream saw only the admitted requests.
        assert len(stub.requests_to("/api/v1/hazards")) == 3


@pytest.mark.real_only
async def test_replicas_sharing_a_redis_storage_count_together(distributed: Distributed) -> None:
    """Two gateway replicas (as deploy/k8s runs them) with one Redis: a caller's requests
    are counted once, whichever replica answers."""
    async with (
        serving(StubUpstream()) as stub,
        distributed(
            default_url=stub.url, rate_limit_per_minute=3, rate_limit_storage_uri=REDIS
        ) as one,
        distributed(
            default_url=stub.url, rate_limit_per_minute=3, rate_limit_storage_uri=REDIS
        ) as two,
        one.anonymous() as first,
        two.anonymous() as second,
    ):
        caller = bearer(one.settings, sub=f"shared-{uuid.uuid4().hex}")  # a fresh bucket
        statuses = [
            (await client.get("/api/v1/hazards", headers=caller)).status_code
            for client in (first, second, first, second)
        ]
        assert statuses == [200, 200, 200, 429]
        refused = await first.get("/api/v1/hazards", headers=caller)
        assert (refused.status_code, refused.headers["ratelimit-remaining"]) == (429, "0")


def test_an_unknown_storage_is_refused_at_start() -> None:
    with pytest.raises(ConfigurationError):
        RateLimiter("nosuchstore://localhost", "fixed-window")


@pytest.mark.parametrize("strategy", ["fixed-window", "sliding-window-counter", "moving-window"])
async def test_every_strategy_counts_per_principal(strategy: str) -> None:
    limiter = RateLimiter("memory://", strategy)
    decisions = [await limiter.hit("key:a", 2) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert [d.remaining for d in decisions] == [1, 0, 0]
    assert decisions[-1].reset_seconds >= 1
    assert (await limiter.hit("key:b", 2)).allowed
