"""Webhooks on the running platform: registry changes raise alerts, the alerts service's own
delivery loop posts them to a local receiver, and `/subscriptions` manages it all.

The loop runs on the platform's manual clock: a first attempt is due at once, a retry only
once the test moves the clock past its backoff. Each test subscribes for its own new district,
made before its community, so no test receives another's alerts.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import select

from alerts.models import Subscription
from alerts.webhooks.signing import verify_signature
from firesafe_kit.auth.jurisdiction import ancestors
from tests.alerts.conftest import AlertsHarness
from tests.alerts.receiver import Receiver
from tests.support.registry_data import community_body, created, next_district_code

SECRET = "platform-webhook-secret-42"
RAISED = "firesafe.alerts.alert.raised"
RESOLVED = "firesafe.alerts.alert.resolved"
ACKNOWLEDGED = "firesafe.alerts.alert.acknowledged"
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
LATER = timedelta(minutes=5)  # past any backoff of the platform's settings
NOWHERE = ["district:no-such-district"]  # a subscription that never matches an event


class Branch:
    """A district and street known to the alerts service, awaiting their community."""

    def __init__(self, platform: AlertsHarness, district: dict[str, Any], street: dict[str, Any]):
        self.platform = platform
        self.district = district
        self.street = street
        self.code = district["code"]

    @property
    def scope(self) -> str:
        return f"district:{self.district['id']}"

    async def community(self) -> str:
        registry = await self.platform.registry()
        community = await created(
            registry.post(
                "/api/v1/communities",
                json=community_body(self.street["id"], f"{self.code}001001"),
            )
        )
        return str(community["id"])


async def branch(platform: AlertsHarness) -> Branch:
    """A new district and street, waited for in the alerts service's copy of the tree (its
    events may arrive in any order; the community's must find its street there)."""
    registry = await platform.registry()
    code = next_district_code()
    district = await created(
        registry.post("/api/v1/districts", json={"code": code, "name": f"测试区{code}"})
    )
    street = await created(
        registry.post(
            "/api/v1/streets",
            json={"district_id": district["id"], "code": f"{code}001", "name": "测试街道"},
        )
    )

    async def known() -> bool:
        async with platform.runtime.db.session() as session:
            return len(await ancestors(session, street["id"])) == 2

    await platform.settled(known)
    return Branch(platform, district, street)


async def subscribe(client: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    body = {"url": url, "secret": SECRET, "event_types": [RAISED], **fields}
    response = await client.post("/api/v1/subscriptions", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def deliveries_of(platform: AlertsHarness, subscription_id: str) -> list[dict[str, Any]]:
    client = await platform.alerts()
    response = await client.get(f"/api/v1/subscriptions/{subscription_id}/deliveries")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def attempts_recorded(
    platform: AlertsHarness, subscription_id: str, count: int
) -> dict[str, Any]:
    """The subscription's one delivery once it has `count` attempts recorded."""
    found: dict[str, Any] = {}

    async def check() -> bool:
        nonlocal found
        items = await deliveries_of(platform, subscription_id)
        found = items[0] if items else {}
        return bool(found) and found["attempt_count"] >= count

    await platform.settled(check)
    return found


async def test_a_raised_alert_reaches_the_receiver_signed(platform: AlertsHarness) -> None:
    client = await platform.alerts()
    place = await branch(platform)
    async with Receiver() as receiver:
        subscription = await subscribe(client, receiver.url, jurisdiction=[place.scope])
        community_id = await place.community()
        [request] = await receiver.wait_for(1)
        delivery = await attempts_recorded(platform, subscription["id"], 1)

    now = int(platform.clock.now().timestamp())
    signature = request.headers["x-firesafe-signature"]
    assert verify_signature(SECRET, request.body, signature, now=now)
    assert not verify_signature("not-the-secret-at-all", request.body, signature, now=now)

    event = json.loads(request.body)
    assert event["specversion"] == "1.0"
    assert event["type"] == RAISED == request.headers["x-firesafe-event-type"]
    assert event["id"] == request.headers["x-firesafe-event-id"]
    assert event["datacontenttype"] == "application/json"
    assert event["source"].endswith("alerts")
    [alert] = await platform.alerts_where(
        lambda items: bool(items), kind="missing_fire_pact", community_id=community_id
    )
    assert event["subject"] == alert["id"]
    assert event["data"]["id"] == alert["id"]
    assert event["data"]["kind"] == "missing_fire_pact"
    assert event["data"]["community_id"] == community_id
    assert event["data"]["district_id"] == place.district["id"]
    assert event["data"]["status"] == "open"
    assert "notes" not in event["data"]  # the event's shape, not the API's

    assert delivery["status"] == "succeeded"
    assert delivery["event_id"] == event["id"]
    assert [a["status_code"] for a in delivery["attempts"]] == [200]
    assert delivery["attempts"][0]["request_headers"]["X-Firesafe-Signature"] == signature


async def test_a_receiver_answering_500_is_retried_until_it_succeeds(
    platform: AlertsHarness,
) -> None:
    client = await platform.alerts()
    place = await branch(platform)
    async with Receiver() as receiver:
        receiver.answer(500, 500)
        subscription = await subscribe(client, receiver.url, jurisdiction=[place.scope])
        sid = subscription["id"]
        await place.community()

        first = await attempts_recorded(platform, sid, 1)
        assert first["status"] == "pending"
        assert first["last_status_code"] == 500
        assert first["last_error"] == "HTTP 500"
        assert first["next_attempt_at"] is not None
        platform.clock.advance(LATER)  # past the backoff: the loop sends it again
        second = await attempts_recorded(platform, sid, 2)
        assert second["status"] == "pending"
        platform.clock.advance(LATER)
        delivered = await attempts_recorded(platform, sid, 3)

    assert delivered["status"] == "succeeded"
    assert delivered["last_status_code"] == 200
    assert [a["status_code"] for a in delivered["attempts"]] == [500, 500, 200]
    assert [a["number"] for a in delivered["attempts"]] == [1, 2, 3]
    assert [a["error"] for a in delivered["attempts"]] == ["HTTP 500", "HTTP 500", None]
    assert len(receiver.requests) == 3
    bodies = {request.body for request in receiver.requests}
    assert len(bodies) == 1  # every retry sends the same bytes
    stamps = [r.headers["x-firesafe-signature"].split(",")[0] for r in receiver.requests]
    assert len(set(stamps)) == 3  # each attempt signed at its own time
    shown = (await client.get(f"/api/v1/subscriptions/{sid}")).json()
    assert shown["consecutive_failures"] == 0
    assert shown["status"] == "active"


async def test_subscriptions_get_only_their_event_types_and_jurisdiction(
    platform: AlertsHarness,
) -> None:
    client = await platform.alerts()
    place = await branch(platform)
    elsewhere = await branch(platform)
    async with Receiver() as receiver:
        raised_here = await subscribe(client, receiver.url, jurisdiction=[place.scope])
        resolved_here = await subscribe(
            client,
            receiver.url,
            event_types=[RESOLVED, ACKNOWLEDGED],
            jurisdiction=[f"street:{place.street['id']}"],
        )
        other_district = await subscribe(
            client, receiver.url, event_types=[RAISED, RESOLVED], jurisdiction=[elsewhere.scope]
        )
        community_id = await place.community()
        await attempts_recorded(platform, raised_here["id"], 1)
        registry = await platform.registry()
        fixed = await registry.patch(
            f"/api/v1/communities/{community_id}",
            json={"fire_pact": {"adopted_on": "2026-11-01"}},
            headers=MERGE_PATCH,
        )
        assert fixed.status_code == 200, fixed.text
        await attempts_recorded(platform, resolved_here["id"], 1)

    # Each event's deliveries are written with it, so by now all of them exist.
    [raised] = await deliveries_of(platform, raised_here["id"])
    [resolved] = await deliveries_of(platform, resolved_here["id"])
    assert raised["event_type"] == RAISED
    assert resolved["event_type"] == RESOLVED
    assert await deliveries_of(platform, other_district["id"]) == []
    assert sorted(r.headers["x-firesafe-event-type"] for r in receiver.requests) == [
        RAISED,
        RESOLVED,
    ]


async def test_the_secret_is_never_shown(platform: AlertsHarness) -> None:
    client = await platform.alerts()
    texts: list[str] = []

    def seen(response: httpx.Response, status: int) -> dict[str, Any]:
        assert response.status_code == status, response.text
        texts.append(response.text)
        texts.extend(response.headers.values())
        return dict(response.json()) if response.content else {}

    body = {"url": "http://127.0.0.1:9/x", "secret": SECRET, "event_types": [RAISED]}
    made = seen(
        await client.post("/api/v1/subscriptions", json={**body, "jurisdiction": NOWHERE}), 201
    )
    assert made["has_secret"] is True
    assert "secret" not in made
    sid = made["id"]
    seen(await client.get(f"/api/v1/subscriptions/{sid}"), 200)
    seen(await client.get("/api/v1/subscriptions", params={"limit": 200}), 200)
    seen(await client.get(f"/api/v1/subscriptions/{sid}/deliveries"), 200)
    rotated = "a-brand-new-secret-0001"
    seen(
        await client.patch(
            f"/api/v1/subscriptions/{sid}", json={"secret": rotated}, headers=MERGE_PATCH
        ),
        200,
    )
    # Not in errors either (pydantic would echo the input).
    seen(await client.post("/api/v1/subscriptions", json={**body, "url": "ftp://x"}), 422)
    seen(
        await client.patch(
            f"/api/v1/subscriptions/{sid}",
            json={"secret": "short-" + SECRET[:5], "url": "nope"},
            headers=MERGE_PATCH,
        ),
        422,
    )
    everything = "\n".join(texts)
    assert SECRET not in everything
    assert rotated not in everything
    assert "short-" not in everything
    # The rotated secret is the one stored (the worker signs with it).
    async with platform.runtime.db.session() as session:
        stored = (
            await session.exec(select(Subscription.secret).where(Subscription.id == sid))
        ).one()
    assert stored == rotated
    assert (await client.delete(f"/api/v1/subscriptions/{sid}")).status_code == 204


async def test_subscriptions_can_be_read_listed_changed_and_deleted(
    platform: AlertsHarness,
) -> None:
    client = await platform.alerts()
    body = {
        "url": "https://hooks.example.org/firesafe",
        "secret": SECRET,
        "event_types": [RAISED, RESOLVED],
        "jurisdiction": NOWHERE,
        "description": "值班室大屏",
    }
    response = await client.post("/api/v1/subscriptions", json=body)
    assert response.status_code == 201, response.text
    made = response.json()
    sid = made["id"]
    assert response.headers["Location"] == f"/api/v1/subscriptions/{sid}"
    assert made["status"] == "active"
    assert made["created_by"] == "city_admin-city"
    assert made["event_types"] == [RAISED, RESOLVED]
    etag = response.headers["ETag"]

    read = await client.get(f"/api/v1/subscriptions/{sid}")
    assert read.status_code == 200
    assert read.headers["ETag"] == etag
    listed = await client.get("/api/v1/subscriptions", params={"status": "active", "limit": 200})
    assert sid in [item["id"] for item in listed.json()["items"]]

    paused = await client.patch(
        f"/api/v1/subscriptions/{sid}",
        json={"status": "disabled", "description": None, "jurisdiction": None},
        headers={**MERGE_PATCH, "If-Match": etag},
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "disabled"
    assert paused.json()["disabled_reason"] == "disabled by city_admin-city"
    assert paused.json()["description"] is None
    assert paused.json()["jurisdiction"] is None
    assert paused.json()["url"] == body["url"]  # untouched by the patch
    assert paused.headers["ETag"] != etag
    stale = await client.patch(
        f"/api/v1/subscriptions/{sid}",
        json={"jurisdiction": NOWHERE},
        headers={**MERGE_PATCH, "If-Match": etag},
    )
    assert stale.status_code == 412, stale.text
    # Re-scope it before the next event comes in (it is unscoped, but disabled, meanwhile).
    rescoped = await client.patch(
        f"/api/v1/subscriptions/{sid}", json={"jurisdiction": NOWHERE}, headers=MERGE_PATCH
    )
    assert rescoped.status_code == 200, rescoped.text
    listed = await client.get("/api/v1/subscriptions", params={"status": "disabled", "limit": 200})
    assert sid in [item["id"] for item in listed.json()["items"]]

    deleted = await client.delete(f"/api/v1/subscriptions/{sid}")
    assert deleted.status_code == 204
    for path in (f"/api/v1/subscriptions/{sid}", f"/api/v1/subscriptions/{sid}/deliveries"):
        missing = await client.get(path)
        assert missing.status_code == 404, missing.text
        assert missing.headers["content-type"] == "application/problem+json"
    listed = await client.get("/api/v1/subscriptions", params={"limit": 200})
    assert sid not in [item["id"] for item in listed.json()["items"]]
    again = await client.delete(f"/api/v1/subscriptions/{sid}")
    assert again.status_code == 404


async def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


def _locs(problem: dict[str, Any]) -> list[list[Any]]:
    return [error["loc"] for error in problem.get("errors", [])]


async def test_bad_subscriptions_are_422_naming_the_field(platform: AlertsHarness) -> None:
    client = await platform.alerts()
    good: dict[str, Any] = {
        "url": "https://hooks.example.org/firesafe",
        "secret": SECRET,
        "event_types": [RAISED],
        "jurisdiction": NOWHERE,
    }
    cases: list[tuple[dict[str, Any], list[Any]]] = [
        ({"url": "ftp://hooks.example.org/"}, ["body", "url"]),
        ({"url": "https://user:pw@hooks.example.org/"}, ["body", "url"]),
        ({"url": "not a url"}, ["body", "url"]),
        ({"url": "https://x.org/" + "a" * 2000}, ["body", "url"]),
        ({"event_types": ["firesafe.alerts.alert.exploded"]}, ["body", "event_types"]),
        ({"event_types": ["firesafe.registry.community.created"]}, ["body", "event_types"]),
        ({"event_types": []}, ["body", "event_types"]),
        ({"event_types": [RAISED, RAISED]}, ["body", "event_types"]),
        ({"secret": "too-short"}, ["body", "secret"]),
        ({"secret": "x" * 201}, ["body", "secret"]),
        ({"jurisdiction": ["planet:earth"]}, ["body", "jurisdiction"]),
        ({"jurisdiction": ["station:s1"]}, ["body", "jurisdiction"]),
        ({"jurisdiction": []}, ["body", "jurisdiction"]),
        ({"colour": "red"}, ["body", "colour"]),
        ({"status": "disabled"}, ["body", "status"]),  # not settable at creation
    ]
    for change, loc in cases:
        response = await client.post("/api/v1/subscriptions", json={**good, **change})
        problem = await _problem(response, 422)
        assert loc in _locs(problem), (change, problem)
    without_secret = {k: v for k, v in good.items() if k != "secret"}
    problem = await _problem(await client.post("/api/v1/subscriptions", json=without_secret), 422)
    assert ["body", "secret"] in _locs(problem)
    await _problem(
        await client.post(
            "/api/v1/subscriptions",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
        400,
    )

    made = await subscribe(client, good["url"], jurisdiction=NOWHERE)
    sid = made["id"]
    patch_cases: list[tuple[Any, list[Any]]] = [
        ({"url": "gopher://x"}, ["body", "url"]),
        ({"event_types": ["nope"]}, ["body", "event_types"]),
        ({"event_types": None}, ["body", "event_types"]),  # required: cannot be removed
        ({"secret": "short"}, ["body", "secret"]),
        ({"status": "paused"}, ["body", "status"]),
        ({"has_secret": False}, ["body", "has_secret"]),
        ({"consecutive_failures": 0}, ["body", "consecutive_failures"]),
    ]
    for change, loc in patch_cases:
        response = await client.patch(
            f"/api/v1/subscriptions/{sid}", json=change, headers=MERGE_PATCH
        )
        problem = await _problem(response, 422)
        assert loc in _locs(problem), (change, problem)
    response = await client.patch(f"/api/v1/subscriptions/{sid}", json=[1], headers=MERGE_PATCH)
    await _problem(response, 422)

    for path in ("/api/v1/subscriptions", f"/api/v1/subscriptions/{sid}/deliveries"):
        for params in ({"colour": "red"}, {"status": "sleeping"}, {"limit": 0}):
            await _problem(await client.get(path, params=params), 422)
        await _problem(await client.get(path, params={"cursor": "%%%"}), 400)
    await _problem(await client.get("/api/v1/subscriptions/" + "x" * 37), 422)
    await _problem(await client.get("/api/v1/subscriptions/no-such-id"), 404)
    assert (await client.delete(f"/api/v1/subscriptions/{sid}")).status_code == 204


async def test_only_city_admins_manage_subscriptions(platform: AlertsHarness) -> None:
    admin = await platform.alerts()
    made = await subscribe(admin, "https://hooks.example.org/x", jurisdiction=NOWHERE)
    sid = made["id"]
    good = {"url": "https://hooks.example.org/y", "secret": SECRET, "event_types": [RAISED]}
    for role, scope in (
        ("district_officer", "district:d1"),
        ("community_staff", "community:c1"),
        ("viewer", "city"),
    ):
        client = await platform.alerts(role, scope)
        requests = [
            client.post("/api/v1/subscriptions", json=good),
            client.post("/api/v1/subscriptions", json={"url": "bad"}),  # 403 before 422
            client.get("/api/v1/subscriptions"),
            client.get(f"/api/v1/subscriptions/{sid}"),
            client.get(f"/api/v1/subscriptions/{sid}/deliveries"),
            client.patch(
                f"/api/v1/subscriptions/{sid}", json={"status": "disabled"}, headers=MERGE_PATCH
            ),
            client.delete(f"/api/v1/subscriptions/{sid}"),
        ]
        for request in requests:
            problem = await _problem(await request, 403)
            assert problem["code"] == "forbidden_role"
    anonymous = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=platform.alerts_app), base_url="http://test"
    )
    async with anonymous:
        await _problem(await anonymous.get("/api/v1/subscriptions"), 401)
    still = await admin.get(f"/api/v1/subscriptions/{sid}")
    assert still.status_code == 200
    assert still.json()["status"] == "active"
    assert (await admin.delete(f"/api/v1/subscriptions/{sid}")).status_code == 204


async def test_deliveries_are_listed_newest_first_in_pages_and_filtered(
    platform: AlertsHarness,
) -> None:
    client = await platform.alerts()
    place = await branch(platform)
    async with Receiver() as receiver:
        receiver.answer(500)  # the first alert's first attempt fails; it stays pending
        subscription = await subscribe(
            client, receiver.url, event_types=[RAISED, ACKNOWLEDGED], jurisdiction=[place.scope]
        )
        sid = subscription["id"]
        community_id = await place.community()
        await attempts_recorded(platform, sid, 1)
        [alert] = await platform.alerts_where(
            lambda items: bool(items), kind="missing_fire_pact", community_id=community_id
        )
        # The second delivery is the newer one; the first's retry is not yet due.
        platform.clock.advance(timedelta(milliseconds=10))
        acknowledged = await client.post(f"/api/v1/alerts/{alert['id']}/acknowledge")
        assert acknowledged.status_code == 200, acknowledged.text
        await receiver.wait_for(2)

        async def both_recorded() -> bool:
            items = await deliveries_of(platform, sid)
            return len(items) == 2 and all(item["attempt_count"] for item in items)

        await platform.settled(both_recorded)

    path = f"/api/v1/subscriptions/{sid}/deliveries"
    page = (await client.get(path, params={"limit": 1})).json()
    [newest] = page["items"]
    assert newest["event_type"] == ACKNOWLEDGED
    assert page["next_cursor"]
    rest = (await client.get(path, params={"limit": 1, "cursor": page["next_cursor"]})).json()
    [oldest] = rest["items"]
    assert oldest["event_type"] == RAISED
    assert rest["next_cursor"] is None
    pending = (await client.get(path, params={"status": "pending"})).json()["items"]
    assert [item["event_type"] for item in pending] == [RAISED]
    succeeded = (await client.get(path, params={"status": "succeeded"})).json()["items"]
    assert [item["event_type"] for item in succeeded] == [ACKNOWLEDGED]
    assert (await client.delete(f"/api/v1/subscriptions/{sid}")).status_code == 204
