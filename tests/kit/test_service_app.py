"""A service built with the kit, end to end in one process: a request writes a change and its
event; the event carries the request's id and trace; a replayed Idempotency-Key publishes
nothing new; readiness names the database and the broker; metrics carry the kit's series."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI

from firesafe_kit.app import api_router, create_service_app
from firesafe_kit.deps import RuntimeDep, SessionDep
from firesafe_kit.events.envelope import CloudEvent
from firesafe_kit.runtime import ServiceRuntime
from firesafe_kit.settings import KitSettings
from tests.support.backends import KAFKA, Backends
from tests.support.events import read_topic, wait_until

ROOT = Path(__file__).resolve().parents[2]
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class DemoSettings(KitSettings):
    service_name: ClassVar[str] = "demo"


router = api_router("/things")


@router.post("", status_code=201)
async def create_thing(session: SessionDep, runtime: RuntimeDep) -> dict[str, str]:
    thing_id = str(uuid.uuid4())
    async with session.begin():
        await runtime.outbox.publish(
            session,
            type="firesafe.demo.thing.created",
            subject=thing_id,
            data={"id": thing_id},
            partition_key="community-1",
        )
    return {"id": thing_id}


def build(settings: KitSettings) -> tuple[FastAPI, ServiceRuntime]:
    # The alerts service's history holds exactly the kit tables today; any service's would do.
    runtime = ServiceRuntime(
        settings, service_dir=ROOT / "services" / "alerts", published_topic="firesafe.demo.v1"
    )
    return create_service_app(runtime=runtime, routers=[router], title="Demo"), runtime


@pytest.fixture
async def running(
    backends: Backends, tmp_path: Path, topic_prefix: str
) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    settings = DemoSettings(
        database_url=await backends.database_url("demo"),
        kafka_bootstrap_servers=KAFKA if backends.real else "",
        data_dir=tmp_path,
        topic_prefix=topic_prefix,
    )
    app, runtime = build(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            yield client, runtime


async def test_an_event_carries_the_request_id_and_trace_of_its_request(
    running: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = running
    response = await client.post(
        "/api/v1/things", json={}, headers={"X-Request-ID": "req-42", "traceparent": TRACE}
    )
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "req-42"
    span = response.headers["traceparent"].split("-")
    assert span[1] == TRACE.split("-")[1] and span[2] != TRACE.split("-")[2]

    [message] = await read_topic(runtime.broker, runtime.topic, until=lambda seen: len(seen) >= 1)
    event = CloudEvent.from_message(message)
    assert event.data == response.json() and event.source == "/firesafe/demo"
    assert message.header("x-request-id") == "req-42"
    assert event.traceparent == response.headers["traceparent"]


async def test_a_replayed_idempotency_key_creates_and_publishes_nothing_new(
    running: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = running
    headers = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await client.post("/api/v1/things", json={"a": 1}, headers=headers)
    again = await client.post("/api/v1/things", json={"a": 1}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await client.post("/api/v1/things", json={"a": 1})

    seen = await read_topic(runtime.broker, runtime.topic, until=lambda got: len(got) >= 2)
    assert sorted(CloudEvent.from_message(m).data["id"] for m in seen) == sorted(
        [first.json()["id"], other.json()["id"]]
    )


async def test_readiness_names_database_and_broker_and_metrics_carry_the_kit_series(
    running: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = running
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
    assert (await client.post("/api/v1/things", json={})).status_code == 201
    await wait_until(lambda: _drained(runtime), timeout=30)

    metrics = (await client.get("/metrics")).text
    assert (
        'firesafe_http_requests_total{method="POST",route="/api/v1/things",service="demo",status="201"}'
        in metrics
    )
    assert "firesafe_http_request_duration_seconds_bucket" in metrics
    assert 'firesafe_outbox_published_total{service="demo"}' in metrics
    for series in (
        "firesafe_outbox_backlog",
        "firesafe_consumer_lag",
        "firesafe_dead_letters_total",
    ):
        assert f"# TYPE {series}" in metrics


async def _drained(runtime: ServiceRuntime) -> bool:
    return await runtime.relay.backlog() == 0


async def test_readiness_fails_with_503_naming_an_unreachable_database(tmp_path: Path) -> None:
    settings = DemoSettings(
        database_url="postgresql+asyncpg://nobody:x@127.0.0.1:1/none",
        data_dir=tmp_path,
        migrate_on_start=False,
    )
    app, _runtime = build(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["broker"] == "ok"
    assert ready.json()["checks"]["database"] != "ok"
