"""One event per change on the registry's topic, read from the broker the run selected."""

from __future__ import annotations

from typing import Any

from firesafe_kit.events.envelope import CloudEvent
from tests.registry.conftest import RegistryHarness, created
from tests.support.events import read_topic


async def events_about(
    registry: RegistryHarness, subjects: set[str], expected: int
) -> list[CloudEvent]:
    def enough(seen: list[Any]) -> bool:
        return len([m for m in seen if m.header("ce_subject") in subjects]) >= expected

    messages = await read_topic(
        registry.runtime.broker, registry.runtime.topic, until=enough, timeout=60
    )
    return [CloudEvent.from_message(m) for m in messages if m.header("ce_subject") in subjects]


async def test_each_change_publishes_one_event_with_the_tree_ids(registry: RegistryHarness) -> None:
    admin = await registry.admin()
    tree = await registry.tree()
    url = f"/api/v1/communities/{tree.community_id}"
    await admin.patch(url, json={"fire_pact": {"adopted_on": "2026-01-01"}})
    compound = await registry.compound(tree.community_id)
    station = await created(
        admin.post(
            "/api/v1/stations",
            json={
                "community_id": tree.community_id,
                "name": "一站",
                "compound_ids": [compound["id"]],
            },
        )
    )
    member = await created(
        admin.post(
            f"/api/v1/stations/{station['id']}/members",
            json={
                "name": "刘强",
                "phone": "13512345678",
                "role": "head",
                "employment": "full_time",
            },
        )
    )
    resident = await created(
        admin.post(
            "/api/v1/key-residents",
            json={
                "community_id": tree.community_id,
                "category": "disabled",
                "name": "陈静",
                "address": "幸福小区1号楼101",
                "devices": [{"kind": "smoke_alarm", "installed_on": "2026-03-01"}],
            },
        )
    )
    assert (
        await admin.delete(f"/api/v1/stations/{station['id']}/members/{member['id']}")
    ).status_code == 204
    bad = await admin.patch(url, json={"safety_managers": []})  # rejected: no event
    assert bad.status_code == 422

    subjects = {
        tree.district["id"],
        tree.street["id"],
        tree.community_id,
        compound["id"],
        station["id"],
        member["id"],
        resident["id"],
    }
    events = await events_about(registry, subjects, expected=10)
    by_subject = sorted((e.subject, e.type) for e in events)
    assert by_subject == sorted(
        [
            (tree.district["id"], "firesafe.registry.district.created"),
            (tree.street["id"], "firesafe.registry.street.created"),
            (tree.community_id, "firesafe.registry.community.created"),
            (tree.community_id, "firesafe.registry.community.updated"),
            (compound["id"], "firesafe.registry.compound.created"),
            (station["id"], "firesafe.registry.station.created"),
            (member["id"], "firesafe.registry.station.member.added"),
            (member["id"], "firesafe.registry.station.member.removed"),
            (resident["id"], "firesafe.registry.key_resident.created"),
            (resident["id"], "firesafe.registry.key_resident.device.installed"),
        ]
    )
    community_events = [e for e in events if e.type.startswith("firesafe.registry.community.")]
    for event in community_events:
        assert (
            event.data["street_id"] == tree.street["id"]
            and event.data["district_id"] == tree.district["id"]
        )
        assert event.partitionkey == tree.community_id and event.source == "/firesafe/registry"
    assert community_events[-1].data["fire_pact"]["adopted_on"] == "2026-01-01"
    assert all(
        e.partitionkey == tree.community_id
        for e in events
        if e.subject not in {tree.district["id"], tree.street["id"]}
    )
