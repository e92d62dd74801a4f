"""Registry changes through the API raise alerts; fixing the fact resolves them."""

from __future__ import annotations

from typing import Any

from tests.alerts.conftest import AlertsHarness

PACT = {"fire_pact": {"adopted_on": "2026-11-01"}}


def _of(items: list[dict[str, Any]], kind: str, subject_id: str) -> list[dict[str, Any]]:
    return [a for a in items if a["kind"] == kind and a["subject_id"] == subject_id]


async def test_missing_pact_is_raised_then_resolved_by_the_fix(platform: AlertsHarness) -> None:
    tree = await platform.tree()
    raised = await platform.alerts_where(
        lambda items: bool(items), kind="missing_fire_pact", community_id=tree.community_id
    )
    [alert] = raised
    assert alert["status"] == "open"
    assert alert["severity"] == "warning"
    assert alert["escalation_level"] == "community"
    assert alert["street_id"] == tree.street["id"]
    assert alert["district_id"] == tree.district["id"]
    assert alert["subject_type"] == "community"
    assert alert["dedup_key"] == f"missing_fire_pact:community:{tree.community_id}"
    assert len(alert["source_event_ids"]) == 1

    registry = await platform.registry()
    response = await registry.patch(
        f"/api/v1/communities/{tree.community_id}",
        json=PACT,
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text

    resolved = await platform.alerts_where(
        lambda items: bool(items) and items[0]["status"] == "resolved",
        kind="missing_fire_pact",
        community_id=tree.community_id,
    )
    assert resolved[0]["id"] == alert["id"]
    assert resolved[0]["resolution"] == "auto"
    assert resolved[0]["resolved_by"] is None
