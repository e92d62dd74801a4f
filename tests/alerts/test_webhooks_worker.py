"""The delivery worker driven step by step: an alerts app whose background loops never start
(no lifespan), so only the test moves deliveries, with `deliver_due()` and a manual clock.

Events are published the way the service publishes them (`alerts.publishing.publish`), each
test for its own community, and each subscription scoped to it, so tests do not see each
other's deliveries.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from alerts.config import AlertsSettings
from alerts.context import AlertsContext
from alerts.main import create_app as create_alerts
from alerts.models import Delivery
from alerts.publishing import publish
from alerts.webhooks.fanout import event_body
from alerts.webhooks.signing import verify_signature
from alerts.webhooks.worker import DeliveryWorker
from firesafe_kit.auth.jurisdiction import upsert_node
from firesafe_kit.auth.jwt import mint_token
from firesafe_kit.clock import ManualClock
from firesafe_kit.db import Database
from firesafe_kit.events.envelope import CloudEvent
from tests.alerts.conftest import START
from tests.alerts.receiver import Receiver
from tests.support.backends import Backends

SECRET = "worker-test-secret-0123456789"
RAISED = "firesafe.alerts.alert.raised"
RESOLVED = "firesafe.alerts.alert.resolved"
NOTICE = "firesafe.alerts.notice.published"
LATER = timedelta(minutes=5)  # past any backoff of the rig's settings
TIMEOUT = 0.5
MAX_ATTEMPTS = 3
DISABLE_AFTER = 4


@dataclass
class Rig:
    app: FastAPI
    client: httpx.AsyncClient
    clock: ManualClock

    @property
    def context(self) -> AlertsContext:
        context: AlertsContext = self.app.state.alerts
        return context

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db

    def worker(self, context: AlertsContext | None = None) -> DeliveryWorker:
        return DeliveryWorker(self.db, context or self.context)

    async def publish(
        self, community_id: str | None, verb: str = "alert.raised", **data: Any
    ) -> CloudEvent:
        async with self.db.transaction() as session:
            return await publish(
                session,
                self.context.outbox,
                self.clock,
                entity_verb=verb,
                subject=str(uuid.uuid4()),
                data={"title": "缺少防火公约", **data},
                community_id=community_id,
            )

    async def subscribe(self, url: str, **fields: Any) -> dict[str, Any]:
        body = {"url": url, "secret": SECRET, "event_types": [RAISED], **fields}
        response = await self.client.post("/api/v1/subscriptions", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def subscription(self, subscription_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/subscriptions/{subscription_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def deliveries(self, subscription_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"/api/v1/subscriptions/{subscription_id}/deliveries")
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def patch(self, subscription_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.patch(
            f"/api/v1/subscriptions/{subscription_id}",
            json=changes,
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture(scope="module")
async def rig(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    settings = AlertsSettings(
        database_url=await backends.database_url("alerts"),
        data_dir=tmp_path_factory.mktemp("webhook-rig"),
        kafka_bootstrap_servers="",  # the broker is never started: nothing is relayed
        webhook_timeout_seconds=TIMEOUT,
        webhook_max_attempts=MAX_ATTEMPTS,
        webhook_backoff_base_seconds=10,
        webhook_backoff_max_seconds=60,
        webhook_disable_after=DISABLE_AFTER,
    )
    clock = ManualClock(START)
    app = create_alerts(settings, clock=clock)
    await app.state.runtime.migrate()
    token = mint_token(
        settings, sub="rig-admin", name="测试", roles=["city_admin"], jurisdiction=["city"]
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield Rig(app=app, client=client, clock=clock)
    await app.state.runtime.db.dispose()


def _community() -> str:
    return str(uuid.uuid4())


async def test_a_delivery_is_signed_and_sends_the_event(rig: Rig) -> None:
    community = _community()
    async with Receiver() as receiver:
        subscription = await rig.subscribe(receiver.url, jurisdiction=[f"community:{community}"])
        event = await rig.publish(community, kind="missing_fire_pact")
        worker = rig.worker()
        try:
            assert await worker.deliver_due() == 1
            assert await worker.deliver_due() == 0  # delivered once, not again
        finally:
            await worker.aclose()
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hooks/firesafe"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-firesafe-event-id"] == event.id
    assert request.headers["x-firesafe-event-type"] == RAISED
    assert request.body == event_body(event).encode()
    now = int(rig.clock.now().timestamp())
    signature = request.headers["x-firesafe-signature"]
    assert signature.startswith(f"t={now},v1=")  # t is the attempt's time
    assert verify_signature(SECRET, request.body, signature, now=now)
    [delivery] = await rig.deliveries(subscription["id"])
    assert delivery["status"] == "succeeded"
    assert delivery["event_id"] == event.id
    assert delivery["delivered_at"] is not None
    assert delivery["next_attempt_at"] is None
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] == 200
    assert attempt["request_headers"]["X-Firesafe-Signature"] == signature


async def test_a_timeout_counts_as_a_failure_and_is_retried_later(rig: Rig) -> None:
    community = _community()
    async with Receiver(hang=True) as receiver:
        subscription = await rig.subscribe(receiver.url, jurisdiction=[f"community:{community}"])
        await rig.publish(community)
        worker = rig.worker()
        try:
            assert await worker.deliver_due() == 1
            [delivery] = await rig.deliveries(subscription["id"])
            assert delivery["status"] == "pending"
            assert delivery["attempt_count"] == 1
            assert delivery["last_status_code"] is None
            assert delivery["last_error"] == f"timed out after {TIMEOUT:g}s"
            [attempt] = delivery["attempts"]
            assert attempt["status_code"] is None
            assert attempt["error"] == f"timed out after {TIMEOUT:g}s"
            assert (await rig.subscription(subscription["id"]))["consecutive_failures"] == 1

            # Backoff: not again before its time, then it goes.
            assert await worker.deliver_due() == 0
            receiver.hang = False
            rig.clock.advance(LATER)
            assert await worker.deliver_due() == 1
        finally:
            await worker.aclose()
    assert len(receiver.requests) == 2
    [delivery] = await rig.deliveries(subscription["id"])
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [None, 200]
    assert [a["number"] for a in delivery["attempts"]] == [1, 2]
    assert (await rig.subscription(subscription["id"]))["consecutive_failures"] == 0


async def test_a_refused_connection_counts_as_a_failure(rig: Rig) -> None:
    community = _community()
    async with Receiver() as gone:
        url = gone.url  # nothing listens there once it stops
    subscription = await rig.subscribe(url, jurisdiction=[f"community:{community}"])
    await rig.publish(community)
    worker = rig.worker()
    try:
        assert await worker.deliver_due() == 1
    finally:
        await worker.aclose()
    [delivery] = await rig.deliveries(subscription["id"])
    assert delivery["status"] == "pending"
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert "ConnectError" in attempt["error"]


async def test_a_delivery_is_given_up_after_the_maximum_attempts(rig: Rig) -> None:
    community = _community()
    async with Receiver(default_status=503) as receiver:
        subscription = await rig.subscribe(receiver.url, jurisdiction=[f"community:{community}"])
        await rig.publish(community)
        worker = rig.worker()
        try:
            for _ in range(MAX_ATTEMPTS + 2):
                await worker.deliver_due()
                rig.clock.advance(LATER)
        finally:
            await worker.aclose()
    assert len(receiver.requests) == MAX_ATTEMPTS
    [delivery] = await rig.deliveries(subscription["id"])
    assert delivery["status"] == "failed"
    assert delivery["next_attempt_at"] is None
    assert delivery["last_status_code"] == 503
    assert [a["status_code"] for a in delivery["attempts"]] == [503] * MAX_ATTEMPTS
    # Fewer failures in a row than the limit: the subscription itself stays active.
    shown = await rig.subscription(subscription["id"])
    assert shown["status"] == "active"
    assert shown["consecutive_failures"] == MAX_ATTEMPTS


async def test_failing_in_a_row_disables_the_subscription_until_it_is_enabled(rig: Rig) -> None:
    community = _community()
    async with Receiver(default_status=500) as receiver:
        subscription = await rig.subscribe(receiver.url, jurisdiction=[f"community:{community}"])
        sid = subscription["id"]
        await rig.publish(community)
        await rig.publish(community)
        worker = rig.worker()
        try:
            # Two deliveries failing twice each: four failures in a row, across deliveries.
            assert await worker.deliver_due() == 2
            assert (await rig.subscription(sid))["status"] == "active"
            rig.clock.advance(LATER)
            assert await worker.deliver_due() == 2
            disabled = await rig.subscription(sid)
            assert disabled["status"] == "disabled"
            assert disabled["consecutive_failures"] == DISABLE_AFTER
            assert disabled["disabled_at"] is not None
            assert disabled["disabled_reason"] == (
                f"disabled after {DISABLE_AFTER} consecutive failed deliveries; last: HTTP 500"
            )

            # Disabled: it receives nothing, and new events owe it nothing.
            await rig.publish(community)
            rig.clock.advance(LATER)
            assert await worker.deliver_due() == 0
            assert len(receiver.requests) == 4
            waiting = await rig.deliveries(sid)
            assert [d["status"] for d in waiting] == ["pending", "pending"]

            # Enabled again: the count starts afresh and the waiting deliveries go out.
            receiver.default_status = 200
            enabled = await rig.patch(sid, {"status": "active"})
            assert enabled["status"] == "active"
            assert enabled["consecutive_failures"] == 0
            assert enabled["disabled_reason"] is None
            assert enabled["disabled_at"] is None
            assert await worker.deliver_due() == 2
        finally:
            await worker.aclose()
    assert len(receiver.requests) == 6
    delivered = await rig.deliveries(sid)
    assert [d["status"] for d in delivered] == ["succeeded", "succeeded"]
    assert all([a["status_code"] for a in d["attempts"]] == [500, 500, 200] for d in delivered)


async def test_deliveries_survive_a_crash_mid_send_and_a_restart(rig: Rig) -> None:
    """A worker dies while its request is in flight; a new process (new engine, new worker)
    finds the delivery in the table and sends it, once its lease is over."""
    community = _community()
    async with Receiver(hang=True) as receiver:
        subscription = await rig.subscribe(receiver.url, jurisdiction=[f"community:{community}"])
        event = await rig.publish(community)
        crashed = rig.worker()
        sending = asyncio.create_task(crashed.deliver_due())
        await receiver.wait_for(1)
        sending.cancel()  # the process dies: nothing is recorded
        with pytest.raises(asyncio.CancelledError):
            await sending
        await crashed.aclose()

        restarted_db = Database(rig.db.url)
        context = AlertsContext(
            settings=rig.context.settings, clock=rig.clock, outbox=rig.context.outbox
        )
        restarted = DeliveryWorker(restarted_db, context)
        try:
            receiver.hang = False
            # Still leased to the dead worker: another must not send it a second time yet.
            assert await restarted.deliver_due() == 0
            rig.clock.advance(LATER)
            assert await restarted.deliver_due() == 1
        finally:
            await restarted.aclose()
            await restarted_db.dispose()
    first, second = receiver.requests
    assert first.body == second.body == event_body(event).encode()  # the very same bytes
    assert second.headers["x-firesafe-event-id"] == event.id
    [delivery] = await rig.deliveries(subscription["id"])
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [200]


async def test_in_prod_a_target_that_turned_private_is_refused_without_a_request(
    rig: Rig,
) -> None:
    community = _community()
    async with Receiver() as receiver:
        subscription = await rig.subscribe(receiver.url, jurisdiction=[f"community:{community}"])
        await rig.publish(community)
        prod = rig.context.settings.model_copy(update={"env": "prod"})
        assert not prod.private_webhook_targets_allowed
        worker = rig.worker(
            AlertsContext(settings=prod, clock=rig.clock, outbox=rig.context.outbox)
        )
        try:
            assert await worker.deliver_due() == 1
        finally:
            await worker.aclose()
    assert receiver.requests == []
    [delivery] = await rig.deliveries(subscription["id"])
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"] == (
        "target refused: host 127.0.0.1 resolves to 127.0.0.1, a loopback address"
    )
    assert delivery["status"] == "pending"


async def test_in_prod_the_api_refuses_private_and_loopback_targets(rig: Rig) -> None:
    dev = rig.context.settings
    rig.context.settings = dev.model_copy(update={"env": "prod"})
    try:
        body = {"secret": SECRET, "event_types": [RAISED], "jurisdiction": ["community:none"]}
        for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.0.0.7/x"):
            response = await rig.client.post("/api/v1/subscriptions", json={**body, "url": url})
            assert response.status_code == 422, response.text
            problem = response.json()
            assert problem["code"] == "webhook_target_refused"
            assert problem["errors"][0]["loc"] == ["body", "url"]
        public = await rig.client.post(
            "/api/v1/subscriptions", json={**body, "url": "https://93.184.215.14/hook"}
        )
        assert public.status_code == 201, public.text
        moved = await rig.client.patch(
            f"/api/v1/subscriptions/{public.json()['id']}",
            json={"url": "http://192.168.1.20/hook"},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert moved.status_code == 422, moved.text
        assert moved.json()["code"] == "webhook_target_refused"
    finally:
        rig.context.settings = dev
    unchanged = await rig.subscription(public.json()["id"])
    assert unchanged["url"] == "https://93.184.215.14/hook"
    deleted = await rig.client.delete(f"/api/v1/subscriptions/{public.json()['id']}")
    assert deleted.status_code == 204


async def _owed(rig: Rig, event: CloudEvent) -> set[str]:
    """The subscriptions an event was fanned out to."""
    async with rig.db.session() as session:
        rows = await session.exec(
            select(Delivery.subscription_id).where(col(Delivery.event_id) == event.id)
        )
        return set(rows)


async def test_fanout_follows_event_types_and_jurisdiction(rig: Rig) -> None:
    district, street, community = (str(uuid.uuid4()) for _ in range(3))
    other_district = str(uuid.uuid4())
    async with rig.db.transaction() as session:
        await upsert_node(session, id=district, kind="district", parent_id=None)
        await upsert_node(session, id=street, kind="street", parent_id=district)
        await upsert_node(session, id=community, kind="community", parent_id=street)
        await upsert_node(session, id=other_district, kind="district", parent_id=None)
    url = "http://127.0.0.1:9/unused"  # nothing is sent in this test
    made = {
        "everything": await rig.subscribe(url, event_types=[RAISED, NOTICE]),
        "city": await rig.subscribe(url, event_types=[RAISED, NOTICE], jurisdiction=["city"]),
        "district": await rig.subscribe(url, jurisdiction=[f"district:{district}"]),
        "street": await rig.subscribe(url, jurisdiction=[f"street:{street}"]),
        "community": await rig.subscribe(url, jurisdiction=[f"community:{community}"]),
        "either": await rig.subscribe(
            url, jurisdiction=[f"district:{other_district}", f"street:{street}"]
        ),
        "other district": await rig.subscribe(url, jurisdiction=[f"district:{other_district}"]),
        "resolved only": await rig.subscribe(
            url, event_types=[RESOLVED], jurisdiction=[f"district:{district}"]
        ),
    }
    ids = {name: sub["id"] for name, sub in made.items()}
    try:
        raised = await rig.publish(community)
        assert await _owed(rig, raised) == {
            ids[name]
            for name in ("everything", "city", "district", "street", "community", "either")
        }
        resolved = await rig.publish(community, verb="alert.resolved")
        assert await _owed(rig, resolved) == {ids["resolved only"]}
        # An event of no one community (a notice) reaches unscoped and city subscriptions.
        notice = await rig.publish(None, verb="notice.published")
        assert await _owed(rig, notice) == {ids["everything"], ids["city"]}
        # A disabled subscription is owed nothing.
        await rig.patch(ids["street"], {"status": "disabled"})
        again = await rig.publish(community)
        assert ids["street"] not in await _owed(rig, again)
        assert ids["district"] in await _owed(rig, again)
    finally:
        for sid in ids.values():  # unscoped ones would collect the other tests' events
            response = await rig.client.delete(f"/api/v1/subscriptions/{sid}")
            assert response.status_code == 204, response.text
    # Deleting gives up what was still waiting.
    gone = await rig.client.get(f"/api/v1/subscriptions/{ids['everything']}")
    assert gone.status_code == 404
    async with rig.db.session() as session:
        statuses = set(
            await session.exec(
                select(Delivery.status).where(col(Delivery.subscription_id) == ids["everything"])
            )
        )
    assert statuses == {"failed"}
