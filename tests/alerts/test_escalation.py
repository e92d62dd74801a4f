"""Alerts climb community → street → district when nobody acknowledges them in time, driven
by the scheduler on a clock the test moves; several replicas escalate an alert once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from alerts.scheduler import Scheduler
from firesafe_kit.db import Database
from tests.alerts.conftest import AlertsHarness
from tests.alerts.test_rules_flow import the_alert
from tests.support.events import read_topic
from tests.support.registry_data import Tree, created


async def critical_alert(platform: AlertsHarness) -> tuple[Tree, dict[str, Any]]:
    """A key resident without a smoke alarm: critical (30 min at community, 60 at street)."""
    tree = await platform.tree()
    resident = await created(
        (await platform.registry()).post(
            "/api/v1/key-residents",
            json={
                "community_id": tree.community_id,
                "category": "left_behind_child",
                "name": "刘小宝",
                "address": "幸福路2号1栋101",
            },
        )
    )
    return tree, await the_alert(platform, "key_resident_unprotected", resident["id"])


async def level_of(platform: AlertsHarness, alert_id: str) -> str:
    response = await (await platform.alerts()).get(f"/api/v1/alerts/{alert_id}")
    return str(response.json()["escalation_level"])


async def inbox_ids(platform: AlertsHarness, role: str, scope: str) -> set[str]:
    client = await platform.alerts(role, scope)
    response = await client.get("/api/v1/alerts", params={"inbox": "true", "limit": 200})
    assert response.status_code == 200, response.text
    return {a["id"] for a in response.json()["items"]}


async def test_an_unacknowledged_alert_climbs_to_street_then_district(
    platform: AlertsHarness,
) -> None:
    tree, alert = await critical_alert(platform)
    community = ("community_staff", f"community:{tree.community_id}")
    street = ("street_officer", f"street:{tree.street['id']}")
    district = ("district_officer", f"district:{tree.district['id']}")
    assert alert["id"] in await inbox_ids(platform, *community)
    assert alert["id"] not in await inbox_ids(platform, *street)

    platform.clock.advance(timedelta(minutes=29))
    await platform.scheduler.tick()
    assert await level_of(platform, alert["id"]) == "community"

    platform.clock.advance(timedelta(minutes=2))
    await platform.scheduler.tick()
    assert await level_of(platform, alert["id"]) == "street"
    assert alert["id"] in await inbox_ids(platform, *street)
    assert alert["id"] not in await inbox_ids(platform, *community)
    # Still visible to the community: escalation adds readers, it hides nothing.
    staff = await platform.alerts(*community)
    assert (await staff.get(f"/api/v1/alerts/{alert['id']}")).status_code == 200

    platform.clock.advance(timedelta(minutes=59))
    await platform.scheduler.tick()
    assert await level_of(platform, alert["id"]) == "street"
    platform.clock.advance(timedelta(minutes=2))
    await platform.scheduler.tick()
    assert await level_of(platform, alert["id"]) == "district"
    assert alert["id"] in await inbox_ids(platform, *district)
    assert alert["id"] in await inbox_ids(platform, "city_admin", "city")

    platform.clock.advance(timedelta(days=30))
    await platform.scheduler.tick()
    assert await level_of(platform, alert["id"]) == "district"  # the top: it stays

    events = await read_topic(
        platform.runtime.broker,
        platform.runtime.topic,
        until=lambda seen: ["street", "district"] in _escalations(seen, alert["id"]),
    )
    assert _escalations(events, alert["id"]) == [["community", "street"], ["street", "district"]]


def _escalations(messages: list[Any], alert_id: str) -> list[list[str]]:
    steps = []
    for message in messages:
        headers = dict(message.headers)
        if headers["ce_type"] == b"firesafe.alerts.alert.escalated":
            data = json.loads(message.value)
            if data["id"] == alert_id:
                steps.append([data["from_level"], data["escalation_level"]])
    return steps


async def test_an_acknowledged_alert_stays_where_it_is(platform: AlertsHarness) -> None:
    _tree, alert = await critical_alert(platform)
    acked = await (await platform.alerts()).post(f"/api/v1/alerts/{alert['id']}/acknowledge")
    assert acked.status_code == 200
    platform.clock.advance(timedelta(hours=5))
    await platform.scheduler.tick()
    assert await level_of(platform, alert["id"]) == "community"


async def test_information_never_climbs_and_warnings_follow_their_policy(
    platform: AlertsHarness,
) -> None:
    tree = await platform.tree()
    warning = await the_alert(platform, "missing_fire_pact", tree.community_id)
    platform.clock.advance(timedelta(hours=23))
    await platform.scheduler.tick()
    assert await level_of(platform, warning["id"]) == "community"
    platform.clock.advance(timedelta(hours=2))
    await platform.scheduler.tick()
    assert await level_of(platform, warning["id"]) == "street"


async def test_two_replicas_ticking_together_escalate_once(platform: AlertsHarness) -> None:
    _tree, alert = await critical_alert(platform)
    platform.clock.advance(timedelta(minutes=31))
    context = platform.alerts_app.state.alerts
    replicas = [Database(platform.settings.database_url) for _ in range(2)]
    try:
        results = await asyncio.gather(*(Scheduler(db, context).tick() for db in replicas))
    finally:
        for db in replicas:
            await db.dispose()
    assert await level_of(platform, alert["id"]) == "street"
    mine = await (await platform.alerts()).get(f"/api/v1/alerts/{alert['id']}")
    assert mine.json()["version"] == alert["version"] + 1  # one change, not two
    assert sum(r["escalated"] for r in results) >= 1


async def test_policies_are_read_by_all_and_changed_by_city_admin(
    platform: AlertsHarness,
) -> None:
    viewer = await platform.alerts("viewer", "city")
    listed = (await viewer.get("/api/v1/escalation-policies")).json()["items"]
    assert {p["severity"]: p["community_minutes"] for p in listed} == {
        "critical": 30,
        "info": None,
        "warning": 1440,
    }
    merge = {"Content-Type": "application/merge-patch+json"}
    path = "/api/v1/escalation-policies/info"
    assert (await viewer.patch(path, json={"street_minutes": 5}, headers=merge)).status_code == 403

    admin = await platform.alerts()
    etag = (await admin.get(path)).headers["ETag"]
    changed = await admin.patch(
        path, json={"community_minutes": 120}, headers={**merge, "If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["community_minutes"] == 120
    assert changed.json()["street_minutes"] is None
    assert changed.json()["version"] == 2
    stale = await admin.patch(
        path, json={"community_minutes": 60}, headers={**merge, "If-Match": etag}
    )
    assert stale.status_code == 412
    for bad in ({"community_minutes": 0}, {"community_minutes": "soon"}, {"colour": 1}):
        response = await admin.patch(path, json=bad, headers=merge)
        assert response.status_code == 422, (bad, response.text)
    assert (await admin.get("/api/v1/escalation-policies/urgent")).status_code == 422
    reset = await admin.patch(path, json={"community_minutes": None}, headers=merge)
    assert reset.json()["community_minutes"] is None
