"""Scorecards through the gateway in embedded mode, on data created through the gateway: the
figures of rules 1–7 with targets, the composite score and ranking, CSV, the caller's
jurisdiction, one registry call per scorecard whatever its size, and upstream trouble."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from gateway.scorecards import registry_source
from tests.gateway_scorecards.conftest import GatewayHarness
from tests.support.events import wait_until

SOURCES = {
    "registry": "ok",
    "alerts": "ok",
    "duty-roster": "not_available",
    "inspection": "not_available",
}
REGISTRY_KEYS = [
    "responsible_person_named",
    "safety_managers",
    "fire_pact_adopted",
    "station_coverage",
    "stations_with_two_members",
    "facilities_tested_on_time",
    "old_compounds_without_property_service",
    "key_residents_with_smoke_alarm",
    "emergency_plan_present",
]
ALERT_KEYS = [
    "open_alerts_responsibility_gap",
    "open_alerts_missing_fire_pact",
    "open_alerts_station_coverage_gap",
    "open_alerts_key_resident_unprotected",
]
FIGURE_KEYS = REGISTRY_KEYS + ALERT_KEYS


async def created(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/{path}", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def community(street: dict[str, Any], n: int, name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "street_id": street["id"],
        "code": f"{street['code']}{n:03d}",
        "name": name,
        "responsible_person": {"name": "王主任", "phone": "13612345678"},
        "safety_managers": [{"name": "李四", "phone": "13712345678", "employment": "full_time"}],
        **overrides,
    }


def compound(community_id: str, *, service: bool = True) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "name": "幸福小区",
        "address": "幸福路1号",
        "has_property_service": service,
        "property_company": "安居物业" if service else None,
        "has_fixed_facilities": True,
        "is_old": not service,
        "households": 100,
    }


def facility(compound_id: str, due: str) -> dict[str, Any]:
    return {
        "compound_id": compound_id,
        "kind": "automatic_sprinkler",
        "maintained_by": {"party": "property_company", "name": "安居物业"},
        "last_tested_on": "2019-06-01",
        "next_test_due": due,
    }


def resident(community_id: str, *devices: str) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "category": "disabled",
        "name": "刘大爷",
        "address": "幸福路1号2栋",
        "devices": [{"kind": kind, "installed_on": "2024-02-01"} for kind in devices],
    }


@dataclass
class World:
    district: dict[str, Any]
    s1: dict[str, Any]
    s2: dict[str, Any]
    c: dict[str, dict[str, Any]]  # a, b, c on s1; e on s2


@pytest.fixture(scope="module")
async def world(gateway: GatewayHarness) -> World:
    admin = await gateway.admin()
    district = await created(admin, "districts", {"code": "110105", "name": "朝阳测试区"})
    s1, s2 = [
        await created(
            admin,
            "streets",
            {"district_id": district["id"], "code": f"110105{n:03d}", "name": name},
        )
        for n, name in ((1, "一街道"), (2, "二街道"))
    ]
    dated = {
        "fire_pact": {"adopted_on": "2024-03-01"},
        "emergency_plan": {"updated_on": "2024-04-01"},
    }
    plan_only = {"emergency_plan": {"updated_on": "2024-04-01"}}
    two_managers = [
        {"name": "赵一", "phone": "13811110001", "employment": "full_time"},
        {"name": "钱二", "phone": "13811110002", "employment": "part_time"},
    ]
    c = {
        "a": await created(admin, "communities", community(s1, 1, "甲社区", **dated)),
        "b": await created(admin, "communities", community(s1, 2, "乙社区", **plan_only)),
        "c": await created(
            admin,
            "communities",
            community(s1, 3, "丙社区", responsible_person=None, safety_managers=two_managers),
        ),
        "e": await created(admin, "communities", community(s2, 1, "戊社区", **dated)),
    }
    # 甲: everything in place.
    pa = await created(admin, "compounds", compound(c["a"]["id"]))
    station = await created(
        admin,
        "stations",
        {"community_id": c["a"]["id"], "name": "甲站", "compound_ids": [pa["id"]]},
    )
    for n, role in ((1, "head"), (2, "member")):
        body = {
            "name": f"队员{n}",
            "phone": f"1390000000{n}",
            "role": role,
            "employment": "full_time",
        }
        await created(admin, f"stations/{station['id']}/members", body)
    await created(admin, "facilities", facility(pa["id"], "2099-01-01"))
    await created(admin, "key-residents", resident(c["a"]["id"], "smoke_alarm"))
    # 乙: no pact; one of two compounds with property service covered; nothing else.
    pb1 = await created(admin, "compounds", compound(c["b"]["id"]))
    await created(admin, "compounds", compound(c["b"]["id"]))
    await created(
        admin,
        "stations",
        {"community_id": c["b"]["id"], "name": "乙站", "compound_ids": [pb1["id"]]},
    )
    # 戊: an uncovered compound, an overdue facility, one of two key residents with an alarm.
    pe = await created(admin, "compounds", compound(c["e"]["id"]))
    await created(admin, "facilities", facility(pe["id"], "2020-06-01"))
    await created(admin, "key-residents", resident(c["e"]["id"], "smoke_alarm"))
    await created(admin, "key-residents", resident(c["e"]["id"], "extinguisher"))
    await alerts_caught_up(admin, district["id"], expected_open=6)
    return World(district, s1, s2, c)


async def alerts_caught_up(admin: httpx.AsyncClient, district_id: str, expected_open: int) -> None:
    """The alerts service learns of the registry's changes from events: wait for them."""

    async def done() -> bool:
        response = await admin.get("/api/v1/alerts/figures", params={"district_id": district_id})
        items = response.json()["items"] if response.status_code == 200 else []
        return len(items) == 4 and sum(i["open"] for i in items) == expected_open

    await wait_until(done, timeout=30)


def by_key(figures: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["figure"]: f for f in figures}


async def test_community_scorecard_reports_each_figure_against_its_target(
    gateway: GatewayHarness, world: World
) -> None:
    admin = await gateway.admin()
    response = await admin.get(f"/api/v1/scorecards/communities/{world.c['a']['id']}")
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["scope"] == {
        "kind": "community",
        "id": world.c["a"]["id"],
        "code": "110105001001",
        "name": "甲社区",
    }
    assert card["sources"] == SOURCES
    assert card["score"] == 100.0 and "mean over rules" in card["score_formula"]
    assert [f["figure"] for f in card["figures"]] == FIGURE_KEYS
    figures = by_key(card["figures"])
    first = figures["responsible_person_named"]
    assert {k: first[k] for k in ("rule", "value", "target", "met", "source")} == {
        "rule": 1,
        "value": True,
        "target": True,
        "met": True,
        "source": "registry",
    }
    assert first["label_zh"].startswith("已明确消防安全责任人") and first["label_en"]
    assert figures["safety_managers"]["target"] == {"min": 1, "max": 2}
    assert figures["fire_pact_adopted"]["detail"] == {"fire_pact_adopted_on": "2024-03-01"}
    coverage = figures["station_coverage"]
    assert (coverage["rule"], coverage["value"], coverage["target"], coverage["met"]) == (
        3,
        1.0,
        1.0,
        True,
    )
    assert figures["stations_with_two_members"]["scored"] is False
    # Six rules count equally; rule 1's two figures share its sixth.
    assert figures["responsible_person_named"]["weight"] == round(1 / 12, 4)
    assert figures["emergency_plan_present"]["weight"] == round(1 / 6, 4)
    assert figures["old_compounds_without_property_service"]["weight"] is None
    (entry,) = card["communities"]
    assert (entry["rank"], entry["score"], entry["figures_met"], entry["figures_scored"]) == (
        1,
        100.0,
        7,
        7,
    )


async def test_figures_that_do_not_apply_leave_the_score(
    gateway: GatewayHarness, world: World
) -> None:
    admin = await gateway.admin()
    b = (await admin.get(f"/api/v1/scorecards/communities/{world.c['b']['id']}")).json()
    figures = by_key(b["figures"])
    assert (figures["station_coverage"]["value"], figures["station_coverage"]["met"]) == (
        0.5,
        False,
    )
    assert figures["station_coverage"]["detail"] == {"count": 1, "of": 2}
    no_facilities = figures["facilities_tested_on_time"]
    assert (no_facilities["value"], no_facilities["met"], no_facilities["weight"]) == (
        None,
        None,
        None,
    )
    # rules 1 (1), 2 (0), 3 (0.5 of the target), 7 (1): 100 × 2.5 / 4
    assert b["score"] == 62.5
    e = (await admin.get(f"/api/v1/scorecards/communities/{world.c['e']['id']}")).json()
    overdue = by_key(e["figures"])["facilities_tested_on_time"]
    assert (overdue["value"], overdue["met"], overdue["detail"]) == (
        0.0,
        False,
        {"count": 0, "of": 1},
    )
    assert by_key(e["figures"])["key_residents_with_smoke_alarm"]["value"] == 0.5
    assert e["score"] == round(100 * 3.5 / 6, 1)  # 58.3


async def test_district_ranks_communities_and_streets_with_aggregate_figures(
    gateway: GatewayHarness, world: World
) -> None:
    admin = await gateway.admin()
    response = await admin.get(f"/api/v1/scorecards/districts/{world.district['id']}")
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["scope"]["kind"] == "district" and card["scope"]["name"] == "朝阳测试区"
    assert card["sources"] == SOURCES
    ranking = [(c["rank"], c["name"], c["score"]) for c in card["communities"]]
    assert ranking == [
        (1, "甲社区", 100.0),
        (2, "乙社区", 62.5),
        (3, "戊社区", 58.3),
        (4, "丙社区", 16.7),
    ]
    assert card["score"] == 59.4  # mean of the four communities' scores
    assert [(s["rank"], s["name"], s["score"], s["communities"]) for s in card["streets"]] == [
        (1, "一街道", 59.7, 3),
        (2, "二街道", 58.3, 1),
    ]
    figures = by_key(card["figures"])
    assert {key: figures[key]["value"] for key in ALERT_KEYS} == {
        "open_alerts_responsibility_gap": 1,  # 丙 names no responsible person
        "open_alerts_missing_fire_pact": 2,  # 乙 and 丙
        "open_alerts_station_coverage_gap": 2,  # one compound of 乙, one of 戊
        "open_alerts_key_resident_unprotected": 1,  # 戊's resident with an extinguisher only
    }
    assert {figures[key]["source"] for key in ALERT_KEYS} == {"alerts"}
    assert {figures[key]["scored"] for key in ALERT_KEYS} == {False}
    assert {key: figures[key]["value"] for key in REGISTRY_KEYS} == {
        "responsible_person_named": 0.75,
        "safety_managers": 1.0,
        "fire_pact_adopted": 0.5,
        "station_coverage": 0.5,
        "stations_with_two_members": 0.5,
        "facilities_tested_on_time": 0.5,
        "old_compounds_without_property_service": 0,
        "key_residents_with_smoke_alarm": 0.6667,
        "emergency_plan_present": 0.75,
    }
    assert figures["responsible_person_named"]["detail"] == {"count": 3, "of": 4}
    assert figures["safety_managers"]["met"] is True
    assert figures["station_coverage"]["detail"] == {"count": 2, "of": 4}
    assert figures["old_compounds_without_property_service"]["target"] is None
    compact = card["communities"][1]["figures"]["station_coverage"]
    assert compact == {"value": 0.5, "met": False}


async def test_street_scorecard_lists_only_its_communities(
    gateway: GatewayHarness, world: World
) -> None:
    admin = await gateway.admin()
    card = (await admin.get(f"/api/v1/scorecards/streets/{world.s1['id']}")).json()
    assert [c["name"] for c in card["communities"]] == ["甲社区", "乙社区", "丙社区"]
    assert card["streets"] is None
    assert card["score"] == 59.7
    assert by_key(card["figures"])["station_coverage"]["value"] == round(2 / 3, 4)


async def test_csv_is_one_row_per_community_for_excel(
    gateway: GatewayHarness, world: World
) -> None:
    admin = await gateway.admin()
    url = f"/api/v1/scorecards/districts/{world.district['id']}"
    response = await admin.get(url, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["rank"], r["name"], r["score"]) for r in rows] == [
        ("1", "甲社区", "100.0"),
        ("2", "乙社区", "62.5"),
        ("3", "戊社区", "58.3"),
        ("4", "丙社区", "16.7"),
    ]
    header = next(csv.reader(io.StringIO(text)))
    assert header[:4] == ["rank", "community_id", "code", "name"]
    assert [h for h in header if h in FIGURE_KEYS] == FIGURE_KEYS
    b = rows[1]
    assert (b["station_coverage"], b["station_coverage_met"]) == ("0.5", "false")
    assert (b["facilities_tested_on_time"], b["facilities_tested_on_time_met"]) == ("", "")
    assert (b["responsible_person_named"], b["street_name"]) == ("true", "一街道")
    # JSON stays the default; a client preferring JSON gets JSON.
    preferred = await admin.get(url, headers={"Accept": "text/csv;q=0.5, application/json"})
    assert preferred.headers["content-type"].startswith("application/json")
    one = await admin.get(
        f"/api/v1/scorecards/communities/{world.c['c']['id']}", headers={"Accept": "text/csv"}
    )
    assert len(list(csv.DictReader(io.StringIO(one.content.decode("utf-8-sig"))))) == 1


async def test_jurisdiction_of_the_caller_applies(gateway: GatewayHarness, world: World) -> None:
    d, s1, s2 = world.district["id"], world.s1["id"], world.s2["id"]
    a, b, e = world.c["a"]["id"], world.c["b"]["id"], world.c["e"]["id"]
    cases = [
        (("district_officer", f"district:{d}"), f"districts/{d}", 200),
        (("street_officer", f"street:{s2}"), f"streets/{s2}", 200),
        (("street_officer", f"street:{s2}"), f"streets/{s1}", 404),
        (("street_officer", f"street:{s2}"), f"districts/{d}", 404),
        (("street_officer", f"street:{s2}"), f"communities/{e}", 200),
        (("street_officer", f"street:{s2}"), f"communities/{a}", 404),
        (("community_staff", f"community:{a}"), f"communities/{a}", 200),
        (("community_staff", f"community:{a}"), f"communities/{b}", 404),
        (("city_admin", "city"), "communities/no-such-community", 404),
        (("city_admin", "city"), f"districts/{s1}", 404),  # a street is not a district
    ]
    for (role, scope), path, status in cases:
        client = await gateway.client(role, scope)
        response = await client.get(f"/api/v1/scorecards/{path}")
        assert response.status_code == status, (role, scope, path, response.text)
        if status == 404:
            assert response.headers["content-type"].startswith("application/problem+json")
    street_officer = await gateway.client("street_officer", f"street:{s2}")
    own = (await street_officer.get(f"/api/v1/scorecards/streets/{s2}")).json()
    assert [c["id"] for c in own["communities"]] == [e]
    english = await street_officer.get(
        f"/api/v1/scorecards/streets/{s1}", headers={"Accept-Language": "en"}
    )
    assert english.json()["title"] == "Not found"


async def test_an_api_key_reads_within_its_own_jurisdiction(
    gateway: GatewayHarness, world: World
) -> None:
    """The door vouches for a key caller to the registry, which applies the key's scope."""
    admin = await gateway.admin()
    s2 = world.s2["id"]
    issued = await created(
        admin,
        "api-keys",
        {"name": "街道大屏", "roles": ["viewer"], "jurisdiction": [f"street:{s2}"]},
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway.app), base_url="http://gateway"
    ) as client:
        headers = {"X-API-Key": issued["key"]}
        own = await client.get(f"/api/v1/scorecards/streets/{s2}", headers=headers)
        other = await client.get(f"/api/v1/scorecards/streets/{world.s1['id']}", headers=headers)
    assert own.status_code == 200, own.text
    assert [c["id"] for c in own.json()["communities"]] == [world.c["e"]["id"]]
    assert other.status_code == 404


async def test_identity_and_input_errors_are_problems(
    gateway: GatewayHarness, world: World
) -> None:
    admin = await gateway.admin()
    anonymous = await admin.get(
        f"/api/v1/scorecards/districts/{world.district['id']}", headers={"Authorization": ""}
    )
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    for path in ("communities/" + "x" * 37, "streets/%20", "districts/%00", "streets/社区"):
        response = await admin.get(f"/api/v1/scorecards/{path}")
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_empty_street_has_a_scorecard_without_a_score(
    gateway: GatewayHarness, world: World
) -> None:
    admin = await gateway.admin()
    street = await created(
        admin,
        "streets",
        {"district_id": world.district["id"], "code": "110105009", "name": "新街道"},
    )
    card = (await admin.get(f"/api/v1/scorecards/streets/{street['id']}")).json()
    assert card["communities"] == [] and card["score"] is None
    assert {f["value"] for f in card["figures"]} == {None, 0}


async def test_one_registry_call_per_scorecard_whatever_the_number_of_communities(
    gateway: GatewayHarness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await gateway.admin()
    small = f"/api/v1/scorecards/districts/{world.district['id']}"
    with gateway.requests_to("registry") as calls:
        assert (await admin.get(small)).status_code == 200
    assert calls == ["/api/v1/figures/communities"]

    district = await created(admin, "districts", {"code": "110106", "name": "大区"})
    street = await created(
        admin, "streets", {"district_id": district["id"], "code": "110106001", "name": "大街道"}
    )
    for n in range(1, 61):
        await created(admin, "communities", community(street, n, f"社区{n:02d}"))
    big = f"/api/v1/scorecards/districts/{district['id']}"
    with gateway.requests_to("registry") as calls:
        card = (await admin.get(big)).json()
        table = await admin.get(big, headers={"Accept": "text/csv"})
    assert len(card["communities"]) == 60 and table.status_code == 200
    assert calls == ["/api/v1/figures/communities"] * 2  # one per scorecard, not per community
    with gateway.requests_to("alerts") as alert_calls:
        assert (await admin.get(big)).status_code == 200
    assert alert_calls == ["/api/v1/alerts/figures"]

    # Paging only when the registry says there is more, and nothing lost or repeated.
    monkeypatch.setattr(registry_source, "PAGE_SIZE", "25")
    with gateway.requests_to("registry") as calls:
        paged = (await admin.get(big)).json()
    assert len(calls) == 3
    assert sorted(c["id"] for c in paged["communities"]) == sorted(
        c["id"] for c in card["communities"]
    )


def failing(error: type[httpx.TransportError]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)

    return httpx.MockTransport(handler)


def answering(status: int, content: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=content))


@pytest.mark.parametrize(
    ("transport", "status", "code"),
    [
        (failing(httpx.ConnectError), 503, "upstream_unavailable"),
        (failing(httpx.ReadTimeout), 504, "upstream_timeout"),
        (answering(500, b'{"code": "internal_error"}'), 502, "upstream_bad_response"),
        (answering(503, b""), 503, "upstream_unavailable"),
        (answering(200, b"<html>not json</html>"), 502, "upstream_bad_response"),
        (answering(200, b'{"items": "not a page"}'), 502, "upstream_bad_response"),
    ],
)
async def test_registry_trouble_is_a_gateway_problem_not_a_500(
    gateway: GatewayHarness,
    world: World,
    transport: httpx.AsyncBaseTransport,
    status: int,
    code: str,
) -> None:
    admin = await gateway.admin()
    with gateway.upstream_replaced("registry", transport):
        response = await admin.get(f"/api/v1/scorecards/districts/{world.district['id']}")
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert response.headers["retry-after"]


@pytest.mark.parametrize(
    "transport",
    [failing(httpx.ConnectError), answering(200, b'{"items": "not a page"}')],
)
async def test_without_alerts_the_card_is_given_without_their_figures(
    gateway: GatewayHarness, world: World, transport: httpx.AsyncBaseTransport
) -> None:
    admin = await gateway.admin()
    with gateway.upstream_replaced("alerts", transport):
        response = await admin.get(f"/api/v1/scorecards/districts/{world.district['id']}")
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["sources"]["alerts"] == "unavailable"
    assert [f["figure"] for f in card["figures"]] == REGISTRY_KEYS
    assert card["score"] == 59.4  # the alerts' figures never count towards the score


async def test_scorecard_reads_take_the_guarded_path_of_proxied_calls(
    gateway: GatewayHarness, world: World
) -> None:
    """Breaker, deadline and upstream metrics apply to the scorecards' reads too."""
    labels = {"upstream": "registry", "segment": "scorecards", "method": "GET", "outcome": "2xx"}
    before = REGISTRY.get_sample_value("firesafe_gateway_upstream_requests_total", labels) or 0
    admin = await gateway.admin()
    assert (await admin.get(f"/api/v1/scorecards/streets/{world.s1['id']}")).status_code == 200
    after = REGISTRY.get_sample_value("firesafe_gateway_upstream_requests_total", labels)
    assert after == before + 1

    upstream = gateway.app.state.upstreams["registry"]
    for _ in range(upstream.breaker.failure_threshold):
        upstream.breaker.record_failure()
    try:
        response = await admin.get(f"/api/v1/scorecards/streets/{world.s1['id']}")
        assert response.status_code == 503
        assert response.json()["code"] == "upstream_circuit_open"
    finally:
        upstream.breaker.record_success()
