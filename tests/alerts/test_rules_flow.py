"""Registry changes made through its API raise alerts in the alerts service; the fix resolves
them; a repeat is counted; a replay, unknown types and poison records change nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from prometheus_client import REGISTRY

from alerts.consumption import rules_consumer
from alerts.models import Alert, Fact
from firesafe_kit.events.broker import OutgoingMessage
from firesafe_kit.events.consumer import dead_letter_topic
from firesafe_kit.events.envelope import CloudEvent
from tests.alerts.conftest import AlertsHarness
from tests.support.events import read_topic, wait_until
from tests.support.registry_data import created

PACT = {"fire_pact": {"adopted_on": "2026-11-01"}}
MERGE = {"Content-Type": "application/merge-patch+json"}


async def patch(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.patch(path, json=body, headers=MERGE)
    assert response.status_code == 200, response.text
    return dict(response.json())


def compound_body(community_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "name": "安居小区",
        "address": "幸福路1号",
        "has_property_service": True,
        "property_company": "安居物业",
        "has_fixed_facilities": True,
        "is_old": False,
        "households": 120,
        **overrides,
    }


async def the_alert(platform: AlertsHarness, kind: str, subject_id: str, **want: Any) -> Any:
    """The one alert of `kind` about `subject_id`, once it has the wanted field values."""

    def ready(items: list[dict[str, Any]]) -> bool:
        mine = [a for a in items if a["subject_id"] == subject_id]
        return len(mine) == 1 and all(mine[0][k] == v for k, v in want.items())

    items = await platform.alerts_where(ready, kind=kind)
    return next(a for a in items if a["subject_id"] == subject_id)


async def test_missing_pact_is_raised_then_resolved_by_the_fix(platform: AlertsHarness) -> None:
    tree = await platform.tree()
    alert = await the_alert(platform, "missing_fire_pact", tree.community_id)
    assert alert["status"] == "open"
    assert alert["severity"] == "warning"
    assert alert["escalation_level"] == "community"
    assert (alert["street_id"], alert["district_id"]) == (tree.street["id"], tree.district["id"])
    assert alert["subject_type"] == "community"
    assert alert["dedup_key"] == f"missing_fire_pact:community:{tree.community_id}"
    assert alert["count"] == 1 and len(alert["source_event_ids"]) == 1

    await patch(await platform.registry(), f"/api/v1/communities/{tree.community_id}", PACT)
    resolved = await the_alert(platform, "missing_fire_pact", tree.community_id, status="resolved")
    assert resolved["id"] == alert["id"]
    assert (resolved["resolution"], resolved["resolved_by"]) == ("auto", None)


async def test_a_repeat_raises_the_count_not_a_second_alert(platform: AlertsHarness) -> None:
    tree = await platform.tree()
    await the_alert(platform, "missing_fire_pact", tree.community_id)
    registry = await platform.registry()
    await patch(registry, f"/api/v1/communities/{tree.community_id}", {"name": "新名社区"})
    alert = await the_alert(platform, "missing_fire_pact", tree.community_id, count=2)
    assert alert["status"] == "open"
    assert len(alert["source_event_ids"]) == 2


async def test_responsibility_gap_follows_the_responsible_person(
    platform: AlertsHarness,
) -> None:
    tree = await platform.tree()
    registry = await platform.registry()
    path = f"/api/v1/communities/{tree.community_id}"
    await patch(registry, path, {"responsible_person": None})
    alert = await the_alert(platform, "responsibility_gap", tree.community_id)
    assert "责任人" in alert["detail"]
    await patch(registry, path, {"responsible_person": {"name": "赵六", "phone": "13912345678"}})
    await the_alert(platform, "responsibility_gap", tree.community_id, status="resolved")


async def test_a_compound_with_property_service_needs_a_station(
    platform: AlertsHarness,
) -> None:
    tree = await platform.tree()
    registry = await platform.registry()
    served = await created(
        registry.post("/api/v1/compounds", json=compound_body(tree.community_id))
    )
    old = await created(
        registry.post(
            "/api/v1/compounds",
            json=compound_body(
                tree.community_id, has_property_service=False, property_company=None
            ),
        )
    )
    alert = await the_alert(platform, "station_coverage_gap", served["id"])
    assert alert["subject_type"] == "compound"
    station = {"community_id": tree.community_id, "name": "微站", "compound_ids": [served["id"]]}
    await created(registry.post("/api/v1/stations", json=station))
    await the_alert(platform, "station_coverage_gap", served["id"], status="resolved")
    mine = await platform.alerts_where(lambda items: True, community_id=tree.community_id)
    assert not [a for a in mine if a["subject_id"] == old["id"]]


async def test_a_key_resident_without_smoke_alarm_is_critical_until_one_is_installed(
    platform: AlertsHarness,
) -> None:
    tree = await platform.tree()
    registry = await platform.registry()
    body = {
        "community_id": tree.community_id,
        "category": "elderly_alone",
        "name": "张奶奶",
        "address": "幸福路1号3栋201",
        "devices": [{"kind": "extinguisher", "installed_on": "2026-10-01"}],
    }
    resident = await created(registry.post("/api/v1/key-residents", json=body))
    alert = await the_alert(platform, "key_resident_unprotected", resident["id"])
    assert alert["severity"] == "critical"
    assert "张" not in json.dumps(alert, ensure_ascii=False)  # no personal data in alerts
    devices = [*body["devices"], {"kind": "smoke_alarm", "installed_on": "2026-11-20"}]
    await patch(registry, f"/api/v1/key-residents/{resident['id']}", {"devices": devices})
    await the_alert(platform, "key_resident_unprotected", resident["id"], status="resolved")


async def _alert_rows(platform: AlertsHarness) -> list[tuple[str, str, int]]:
    async with platform.runtime.db.session() as session, session.begin():
        rows = await session.exec(Alert.__table__.select())  # type: ignore[attr-defined,call-overload]
        return sorted((row.dedup_key, row.status, row.count) for row in rows)


async def test_replaying_the_registry_topic_from_the_start_raises_nothing_new(
    platform: AlertsHarness,
) -> None:
    tree = await platform.tree()
    registry = await platform.registry()
    await the_alert(platform, "missing_fire_pact", tree.community_id)
    await patch(registry, f"/api/v1/communities/{tree.community_id}", PACT)
    await the_alert(platform, "missing_fire_pact", tree.community_id, status="resolved")
    before = await _alert_rows(platform)

    # A second group has no inbox rows: every event is applied again, oldest first.
    replay = rules_consumer(platform.runtime, platform.alerts_app.state.alerts, name="replay")
    stop = asyncio.Event()
    task = asyncio.create_task(replay.run(stop))

    async def caught_up() -> bool:
        subscriber = replay.subscriber
        if subscriber is None:
            return False
        lag = await subscriber.lag()
        return bool(lag) and sum(lag.values()) == 0

    try:
        await wait_until(caught_up, timeout=60)
    finally:
        stop.set()
        await task
    assert await _alert_rows(platform) == before


async def test_poison_records_go_to_the_dead_letter_topic_and_the_consumer_goes_on(
    platform: AlertsHarness,
) -> None:
    topic = platform.settings.topic("firesafe.registry.v1")
    broken = CloudEvent(
        type="firesafe.registry.compound.created",
        source="/firesafe/registry",
        subject="x",
        data={"id": "x"},  # no community_id: this record can never be applied
    )
    await platform.runtime.broker.publish(
        [
            OutgoingMessage(topic=topic, key=b"k", value=b"not json", headers=[]),
            broken.to_message(topic),
        ]
    )
    dead = await read_topic(
        platform.runtime.broker, dead_letter_topic(topic), until=lambda seen: len(seen) >= 2
    )
    errors = [dict(m.headers).get("x-dlq-error", b"").decode() for m in dead]
    assert any("community_id" in error for error in errors), errors
    tree = await platform.tree()  # and the consumer is still at work
    await the_alert(platform, "missing_fire_pact", tree.community_id)


async def test_events_of_services_without_rules_are_ignored(platform: AlertsHarness) -> None:
    topic = platform.settings.topic("firesafe.inspection.v1")
    unknown = CloudEvent(
        type="firesafe.inspection.hazard.reported",
        source="/firesafe/inspection",
        subject="h1",
        data={"id": "h1", "community_id": "c-unknown", "severity": "major"},
    )
    group = platform.settings.topic("alerts.rules")
    labels = {"group": group, "type": unknown.type, "outcome": "ignored"}
    before = REGISTRY.get_sample_value("firesafe_events_handled_total", labels) or 0
    await platform.runtime.broker.publish([unknown.to_message(topic)])
    await wait_until(
        lambda: (REGISTRY.get_sample_value("firesafe_events_handled_total", labels) or 0) > before,
        timeout=20,
    )
    tree = await platform.tree()  # a later registry event is still handled
    await the_alert(platform, "missing_fire_pact", tree.community_id)
    async with platform.runtime.db.session() as session, session.begin():
        assert await session.get(Fact, ("hazard", "h1")) is None
