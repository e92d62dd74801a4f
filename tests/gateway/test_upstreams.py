"""Upstream trouble: a stopped service is a 503, a slow one a 504, a broken one a 502, each
problem+json with Retry-After and never a hang; a circuit breaker stops calling a failing
upstream; only idempotent requests are retried, and only when the connection failed."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from firesafe_kit.http.problems import ProblemError
from gateway.breaker import CircuitBreaker, CircuitOpen, CircuitState
from gateway.upstreams import Upstream
from tests.gateway.conftest import Distributed
from tests.gateway.support import PROBLEM, StubUpstream, bearer, closed_url, serving


def assert_upstream_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-request-id"]


async def test_a_stopped_upstream_is_503_at_once(distributed: Distributed) -> None:
    async with distributed(default_url=closed_url()) as gw, gw.anonymous() as client:
        for method in ("GET", "POST"):
            response = await client.request(
                method, "/api/v1/communities", headers=bearer(gw.settings), json={}
            )
            assert_upstream_problem(response, 503, "upstream_unavailable")
        metrics = (await client.get("/metrics")).text
    assert 'upstream="registry"' in metrics and 'outcome="unavailable"' in metrics


async def test_a_slow_upstream_is_504_and_the_breaker_then_stops_calling_it(
    distributed: Distributed,
) -> None:
    async with (
        serving(StubUpstream(slow=True)) as stub,
        distributed(
            default_url=stub.url,
            upstream_read_timeout=0.3,
            breaker_failure_threshold=2,
            breaker_reset_seconds=30,
        ) as gw,
        gw.anonymous() as client,
    ):
        headers = bearer(gw.settings)
        first = await client.get("/api/v1/hazards", headers=headers)
        second = await client.get("/api/v1/hazards", headers=headers)
        for response in (first, second):
            assert_upstream_problem(response, 504, "upstream_timeout")
        opened = await client.get("/api/v1/hazards", headers=headers)
        assert_upstream_problem(opened, 503, "upstream_circuit_open")
        assert 1 <= int(opened.headers["retry-after"]) <= 30
        assert len(stub.requests_to("/api/v1/hazards")) == 2  # the third was never sent
        # One circuit per upstream: the registry is still called.
        stub.release()
        assert (await client.get("/api/v1/districts", headers=headers)).status_code == 200
        metrics = (await client.get("/metrics")).text
    assert 'firesafe_gateway_circuit_state{upstream="inspection"} 2.0' in metrics
    assert 'outcome="circuit_open"' in metrics


# ----------------------------------------------------------------------------- the breaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_cools_down_and_lets_one_trial_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_seconds=10, monotonic=clock)
    for _ in range(2):
        breaker.acquire()
        breaker.record_failure()
    breaker.acquire()
    breaker.record_success()  # a success resets the count
    for _ in range(3):
        breaker.acquire()
        breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpen) as refused:
        breaker.acquire()
    assert refused.value.retry_after == pytest.approx(10)

    clock.now += 10
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.acquire()  # the trial
    with pytest.raises(CircuitOpen):
        breaker.acquire()  # one at a time
    breaker.record_failure()  # the trial failed: open again, for a full cool-down
    with pytest.raises(CircuitOpen):
        breaker.acquire()

    clock.now += 10
    breaker.acquire()
    breaker.release()  # cancelled: tells nothing, frees the trial
    breaker.acquire()
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    breaker.acquire()


# ----------------------------------------------------------------------------- retries


def upstream(transport: httpx.AsyncBaseTransport, *, deadline: float = 5.0) -> Upstream:
    return Upstream(
        "registry",
        httpx.AsyncClient(transport=transport, base_url="http://registry"),
        transport=transport,
        breaker=CircuitBreaker(failure_threshold=5, reset_seconds=10),
        retries=1,
        retry_backoff_seconds=0,
        deadline_seconds=deadline,
    )


def flaky(failures: list[Exception]) -> tuple[httpx.MockTransport, list[str]]:
    """Raises the given errors in turn, then answers 200; records each attempt's method."""
    attempts: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        if failures:
            raise failures.pop(0)
        return httpx.Response(200, json={"ok": True})

    return httpx.MockTransport(handle), attempts


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
async def test_idempotent_requests_are_retried_once_when_the_connection_fails(
    method: str,
) -> None:
    transport, attempts = flaky([httpx.ConnectError("refused")])
    reply = await upstream(transport).send(method, "/x", headers=[], content=b"", segment="x")
    assert reply.status == 200 and attempts == [method, method]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_other_requests_are_never_retried(method: str) -> None:
    transport, attempts = flaky([httpx.ConnectError("refused")])
    with pytest.raises(ProblemError) as caught:
        await upstream(transport).send(method, "/x", headers=[], content=b"{}", segment="x")
    assert caught.value.status == 503 and attempts == [method]


async def test_a_read_timeout_is_not_retried_and_is_504() -> None:
    transport, attempts = flaky([httpx.ReadTimeout("slow")])
    with pytest.raises(ProblemError) as caught:
        await upstream(transport).send("GET", "/x", headers=[], content=b"", segment="x")
    assert (caught.value.status, caught.value.code) == (504, "upstream_timeout")
    assert caught.value.headers["Retry-After"] == "5"
    assert attempts == ["GET"]


async def test_retries_give_up_with_a_503() -> None:
    transport, attempts = flaky([httpx.ConnectError("refused"), httpx.ConnectError("refused")])
    with pytest.raises(ProblemError) as caught:
        await upstream(transport).send("GET", "/x", headers=[], content=b"", segment="x")
    assert caught.value.status == 503 and attempts == ["GET", "GET"]


async def test_in_process_upstreams_are_bounded_too() -> None:
    """ASGITransport ignores httpx's timeouts: the gateway's own deadline still holds."""

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(30)

    async def broken_app(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("the service crashed")

    slow = upstream(httpx.ASGITransport(app=slow_app), deadline=0.2)
    with pytest.raises(ProblemError) as timed_out:
        await slow.send("GET", "/x", headers=[], content=b"", segment="x")
    assert timed_out.value.status == 504

    broken = upstream(httpx.ASGITransport(app=broken_app))
    with pytest.raises(ProblemError) as bad:
        await broken.send("POST", "/x", headers=[], content=b"{}", segment="x")
    assert (bad.value.status, bad.value.code) == (502, "upstream_bad_response")


async def test_the_upstreams_answers_pass_through_unchanged() -> None:
    """Whatever status and body the service answers (its 4xx, even its 500) is its answer:
    the breaker counts only failures to get one."""

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            500, content=b'{"code":"internal_error"}', headers={"Content-Encoding": "identity"}
        )

    guarded = upstream(httpx.MockTransport(handle))
    for _ in range(10):
        reply = await guarded.send("GET", "/x", headers=[], content=b"", segment="x")
        assert (reply.status, reply.body) == (500, b'{"code":"internal_error"}')
    assert guarded.breaker.state is CircuitState.CLOSED
