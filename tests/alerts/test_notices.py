"""Notices reach every community in their scope as `notice` alerts, now or when due."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.alerts.conftest import AlertsHarness
from tests.support.events import read_topic, wait_until
from tests.support.registry_data import community_body, created


async def street_with_two_communities(platform: AlertsHarness) -> tuple[Any, list[str]]:
    tree = await platform.tree()
    registry = await platform.registry()
    second = await created(
        registry.post(
            "/api/v1/communities",
            json=community_body(tree.street["id"], f"{tree.street['code']}002"),
        )
    )
    ids = sorted([tree.community_id, second["id"]])
    admin = await platform.alerts()

    async def tree_known() -> bool:  # the alerts service learns the tree from events
        response = await admin.get("/api/v1/alerts", params={"street_id": tree.street["id"]})
        return {a["community_id"] for a in response.json()["items"]} == set(ids)

    await wait_until(tree_known, timeout=20)
    return tree, ids


async def notice_alerts(platform: AlertsHarness, notice_id: str) -> list[dict[str, Any]]:
    response = await (await platform.alerts()).get(
        "/api/v1/alerts", params={"kind": "notice", "limit": 200}
    )
    return [a for a in response.json()["items"] if a["subject_id"] == notice_id]


async def test_a_street_notice_reaches_each_of_its_communities(platform: AlertsHarness) -> None:
    tree, communities = await street_with_two_communities(platform)
    officer = await platform.alerts("street_officer", f"street:{tree.street['id']}")
    response = await officer.post(
        "/api/v1/notices",
        json={
            "title": "供暖季消防安全提示",
            "body": "请检查取暖设备，不在楼道内给电动车充电。",
            "scope": f"street:{tree.street['id']}",
            "topic": "heating_season",
        },
    )
    assert response.status_code == 201, response.text
    notice = response.json()
    assert response.headers["Location"] == f"/api/v1/notices/{notice['id']}"
    assert (notice["status"], notice["community_count"]) == ("published", 2)

    alerts = await notice_alerts(platform, notice["id"])
    assert sorted(a["community_id"] for a in alerts) == communities
    assert {(a["severity"], a["title"]) for a in alerts} == {("info", "供暖季消防安全提示")}

    staff = await platform.alerts("community_staff", f"community:{communities[0]}")
    seen = (await staff.get("/api/v1/notices")).json()["items"]
    assert notice["id"] in {n["id"] for n in seen}  # a notice above them reaches them

    events = await read_topic(
        platform.runtime.broker,
        platform.runtime.topic,
        until=lambda seen: any(_published(m, notice["id"]) for m in seen),
    )
    [message] = [m for m in events if _published(m, notice["id"])]
    assert sorted(json.loads(message.value)["community_ids"]) == communities
    assert message.key == notice["id"].encode()


def _published(message: Any, notice_id: str) -> bool:
    headers = dict(message.headers)
    return bool(
        headers["ce_type"] == b"firesafe.alerts.notice.published"
        and headers["ce_subject"].decode() == notice_id
    )


async def test_a_scheduled_notice_waits_for_its_time(platform: AlertsHarness) -> None:
    tree, communities = await street_with_two_communities(platform)
    admin = await platform.alerts()
    at = (platform.clock.now() + timedelta(days=1)).isoformat()
    response = await admin.post(
        "/api/v1/notices",
        json={
            "title": "春节期间烟花爆竹安全",
            "body": "禁止在楼道燃放。",
            "scope": f"district:{tree.district['id']}",
            "topic": "spring_festival",
            "publish_at": at,
        },
    )
    assert response.status_code == 201, response.text
    notice = response.json()
    assert notice["status"] == "scheduled"
    await platform.scheduler.tick()
    assert await notice_alerts(platform, notice["id"]) == []

    platform.clock.advance(timedelta(days=1, seconds=1))
    result = await platform.scheduler.tick()
    assert result["published"] >= 1
    read = (await admin.get(f"/api/v1/notices/{notice['id']}")).json()
    assert read["status"] == "published"
    assert read["community_count"] == len(communities)
    assert len(await notice_alerts(platform, notice["id"])) == len(communities)
    assert (await admin.post(f"/api/v1/notices/{notice['id']}/cancel")).status_code == 409


async def test_cancelled_notices_never_go_out(platform: AlertsHarness) -> None:
    tree, _ = await street_with_two_communities(platform)
    admin = await platform.alerts()
    notice = (
        await admin.post(
            "/api/v1/notices",
            json={
                "title": "夏季用电高峰提示",
                "body": "不超负荷用电。",
                "scope": f"street:{tree.street['id']}",
                "publish_at": (platform.clock.now() + timedelta(hours=1)).isoformat(),
            },
        )
    ).json()
    cancelled = await admin.post(f"/api/v1/notices/{notice['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    platform.clock.advance(timedelta(hours=2))
    await platform.scheduler.tick()
    assert await notice_alerts(platform, notice["id"]) == []


async def test_scopes_must_exist_and_be_the_callers(platform: AlertsHarness) -> None:
    tree, _ = await street_with_two_communities(platform)
    other, _ = await street_with_two_communities(platform)
    officer = await platform.alerts("street_officer", f"street:{tree.street['id']}")
    body = {"title": "提示", "body": "内容"}
    for scope in (f"street:{other.street['id']}", "street:unknown-id", "city"):
        response = await officer.post("/api/v1/notices", json={**body, "scope": scope})
        assert response.status_code == 422, (scope, response.text)
        assert response.json()["code"] == "unknown_scope"
    for bad in (
        {**body, "scope": "planet:1"},
        {**body, "scope": f"street:{tree.street['id']}", "publish_at": "2026-12-01T08:00:00"},
        {"title": "", "body": "x", "scope": "city"},
        {**body, "scope": "city", "topic": "monsoon"},
    ):
        response = await officer.post("/api/v1/notices", json=bad)
        assert response.status_code == 422, (bad, response.text)
    staff = await platform.alerts("community_staff", f"community:{tree.community_id}")
    forbidden = await staff.post(
        "/api/v1/notices", json={**body, "scope": f"community:{tree.community_id}"}
    )
    assert forbidden.status_code == 403
    outsider = await platform.alerts("street_officer", f"street:{other.street['id']}")
    mine = await officer.post(
        "/api/v1/notices", json={**body, "scope": f"street:{tree.street['id']}"}
    )
    assert (await outsider.get(f"/api/v1/notices/{mine.json()['id']}")).status_code == 404
