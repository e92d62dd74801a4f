"""`/alerts/figures`: unresolved alerts per community of a scope, zeros included."""

from __future__ import annotations

from tests.alerts.conftest import AlertsHarness
from tests.alerts.test_rules_flow import PACT, patch, the_alert
from tests.support.registry_data import community_body, created


async def test_counts_per_community_of_a_street(platform: AlertsHarness) -> None:
    tree = await platform.tree()
    registry = await platform.registry()
    fixed = await created(
        registry.post(
            "/api/v1/communities",
            json=community_body(tree.street["id"], f"{tree.street['code']}002", **PACT),
        )
    )
    await the_alert(platform, "missing_fire_pact", tree.community_id)
    await patch(registry, f"/api/v1/communities/{fixed['id']}", {"responsible_person": None})
    await the_alert(platform, "responsibility_gap", fixed["id"])

    officer = await platform.alerts("street_officer", f"street:{tree.street['id']}")
    response = await officer.get("/api/v1/alerts/figures", params={"street_id": tree.street["id"]})
    assert response.status_code == 200, response.text
    items = {i["community_id"]: i for i in response.json()["items"]}
    assert items[tree.community_id]["open_by_kind"] == {"missing_fire_pact": 1}
    assert items[fixed["id"]]["open_by_kind"] == {"responsibility_gap": 1}
    assert {i["open"] for i in items.values()} == {1}
    assert {i["open_critical"] for i in items.values()} == {0}

    await patch(registry, f"/api/v1/communities/{tree.community_id}", PACT)
    await the_alert(platform, "missing_fire_pact", tree.community_id, status="resolved")
    again = await officer.get("/api/v1/alerts/figures", params={"street_id": tree.street["id"]})
    zeros = {i["community_id"]: i for i in again.json()["items"]}[tree.community_id]
    assert (zeros["open"], zeros["open_by_kind"]) == (0, {})


async def test_scope_is_required_once_and_must_be_the_callers(platform: AlertsHarness) -> None:
    tree = await platform.tree()
    other = await platform.tree()
    officer = await platform.alerts("street_officer", f"street:{tree.street['id']}")
    outside = await officer.get("/api/v1/alerts/figures", params={"street_id": other.street["id"]})
    assert outside.status_code == 404
    for params in (
        {},
        {"street_id": tree.street["id"], "community_id": tree.community_id},
        {"street_id": tree.street["id"], "limit": 5000},
        {"street_id": tree.street["id"], "cursor": "garbage"},
    ):
        response = await officer.get("/api/v1/alerts/figures", params=params)
        assert response.status_code in (400, 422), (params, response.text)
