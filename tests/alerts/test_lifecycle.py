"""Acknowledge and resolve, who may do it and see it, and the events each step publishes."""

from __future__ import annotations

import json
from typing import Any

from tests.alerts.conftest import AlertsHarness
from tests.alerts.test_rules_flow import the_alert
from tests.support.events import read_topic


async def open_pact_alert(platform: AlertsHarness) -> tuple[Any, dict[str, Any]]:
    tree = await platform.tree()
    return tree, await the_alert(platform, "missing_fire_pact", tree.community_id)


async def test_acknowledge_then_resolve_with_etags_notes_and_409s(
    platform: AlertsHarness,
) -> None:
    _tree, alert = await open_pact_alert(platform)
    staff = await platform.alerts("city_admin", sub="admin-1")
    path = f"/api/v1/alerts/{alert['id']}"
    read = await staff.get(path)
    etag = read.headers["ETag"]

    acked = await staff.post(
        f"{path}/acknowledge", json={"assignee": "网格员A", "note": "已电话联系居委会"}
    )
    assert acked.status_code == 200, acked.text
    body = acked.json()
    assert body["status"] == "acknowledged"
    assert (body["acknowledged_by"], body["assignee"]) == ("admin-1", "网格员A")
    assert body["notes"][0]["text"] == "已电话联系居委会"
    assert acked.headers["ETag"] != etag

    again = await staff.post(f"{path}/acknowledge")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "alert_state_conflict"

    stale = await staff.post(f"{path}/resolve", headers={"If-Match": etag})
    assert stale.status_code == 412

    resolved = await staff.post(f"{path}/resolve", json={"note": "公约已制定"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution"] == "manual"
    assert (await staff.post(f"{path}/resolve")).status_code == 409
    assert (await staff.post(f"{path}/acknowledge")).status_code == 409

    events = await read_topic(
        platform.runtime.broker,
        platform.runtime.topic,
        until=lambda seen: {"acknowledged", "resolved"} <= _verbs(seen, alert["id"]),
    )
    mine = [m for m in events if dict(m.headers)["ce_subject"].decode() == alert["id"]]
    assert [_verb(m) for m in mine] == ["raised", "acknowledged", "resolved"]
    for message in mine:
        headers = dict(message.headers)
        assert headers["ce_source"] == b"/firesafe/alerts"
        assert message.key == alert["community_id"].encode()
        data = json.loads(message.value)
        assert "notes" not in data and "assignee" not in data  # no free text in events


def _verb(message: Any) -> str:
    return str(dict(message.headers)["ce_type"].decode().rsplit(".", 1)[-1])


def _verbs(messages: list[Any], subject: str) -> set[str]:
    return {_verb(m) for m in messages if dict(m.headers)["ce_subject"].decode() == subject}


async def test_bad_action_bodies_are_422_and_change_nothing(platform: AlertsHarness) -> None:
    _tree, alert = await open_pact_alert(platform)
    admin = await platform.alerts()
    path = f"/api/v1/alerts/{alert['id']}"
    for body in ({"unknown": 1}, {"note": ""}, {"assignee": "x" * 201}):
        response = await admin.post(f"{path}/acknowledge", json=body)
        assert response.status_code == 422, (body, response.text)
    malformed = await admin.post(
        f"{path}/acknowledge", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code in (400, 422)
    assert (await admin.get(path)).json()["status"] == "open"
    assert (await admin.post("/api/v1/alerts/nope/acknowledge")).status_code == 404


async def test_jurisdiction_roles_and_filters(platform: AlertsHarness) -> None:
    tree, alert = await open_pact_alert(platform)
    other, other_alert = await open_pact_alert(platform)
    path = f"/api/v1/alerts/{alert['id']}"

    staff = await platform.alerts("community_staff", f"community:{tree.community_id}")
    street = await platform.alerts("street_officer", f"street:{tree.street['id']}")
    district = await platform.alerts("district_officer", f"district:{tree.district['id']}")
    outsider = await platform.alerts("community_staff", f"community:{other.community_id}")
    viewer = await platform.alerts("viewer", f"community:{tree.community_id}")

    for client in (staff, street, district, viewer):
        assert (await client.get(path)).status_code == 200
        ids = {a["id"] for a in (await client.get("/api/v1/alerts")).json()["items"]}
        assert alert["id"] in ids and other_alert["id"] not in ids
    assert (await outsider.get(path)).status_code == 404
    assert (await outsider.post(f"{path}/acknowledge")).status_code == 404
    forbidden = await viewer.post(f"{path}/acknowledge")
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden_role"

    admin = await platform.alerts()
    filtered = await admin.get(
        "/api/v1/alerts",
        params={"community_id": tree.community_id, "kind": "missing_fire_pact", "status": "open"},
    )
    assert [a["id"] for a in filtered.json()["items"]] == [alert["id"]]
    for params in ({"severity": "critical"}, {"escalation_level": "street"}):
        items = (await admin.get("/api/v1/alerts", params={**params, "limit": 200})).json()
        assert alert["id"] not in {a["id"] for a in items["items"]}
    for bad in ({"status": "closed"}, {"limit": 0}, {"colour": "red"}, {"cursor": "!!"}):
        response = await admin.get("/api/v1/alerts", params=bad)
        assert response.status_code in (400, 422), (bad, response.text)


async def test_pages_are_newest_first_and_complete(platform: AlertsHarness) -> None:
    for _ in range(3):
        await open_pact_alert(platform)
    admin = await platform.alerts()
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await admin.get("/api/v1/alerts", params=params)).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = (await admin.get("/api/v1/alerts", params={"limit": 200})).json()["items"]
    assert [a["id"] for a in seen] == [a["id"] for a in everything]
    created = [a["created_at"] for a in seen]
    assert created == sorted(created, reverse=True)
