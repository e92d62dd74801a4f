"""The rules as pure checks over a community's facts (no backends)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from alerts.facts.sources import SOURCES
from alerts.rules.base import FactView
from alerts.rules.catalog import RULES
from alerts.rules.registry_rules import (
    key_resident_unprotected,
    missing_fire_pact,
    responsibility_gap,
    station_coverage_gap,
)


@dataclass
class F:
    id: str
    data: dict[str, Any] = field(default_factory=dict)


def community(**data: Any) -> F:
    base = {"name": "幸福里社区", "has_responsible_person": True, "safety_manager_count": 1}
    return F("c1", {**base, "has_fire_pact": True, **data})


def view(**kinds: list[F]) -> FactView:
    empty: dict[str, list[F]] = {"community": [], "compound": [], "station": [], "key_resident": []}
    return {**empty, **kinds}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, None),
        ({"safety_manager_count": 2}, None),
        ({"has_responsible_person": False}, "未明确消防安全责任人"),
        ({"safety_manager_count": 0}, "消防管理人员0名"),
        ({"safety_manager_count": 3}, "消防管理人员3名"),
    ],
)
def test_responsibility_gap(data: dict[str, Any], expected: str | None) -> None:
    findings = responsibility_gap(view(community=[community(**data)]))
    if expected is None:
        assert findings == []
    else:
        [finding] = findings
        assert (finding.subject_type, finding.subject_id) == ("community", "c1")
        assert expected in finding.detail


def test_missing_fire_pact() -> None:
    assert missing_fire_pact(view(community=[community()])) == []
    [finding] = missing_fire_pact(view(community=[community(has_fire_pact=False)]))
    assert finding.subject_id == "c1"
    assert "防火公约" in finding.title


def test_station_coverage_counts_only_compounds_with_property_service() -> None:
    compounds = [
        F("served", {"name": "甲小区", "has_property_service": True}),
        F("covered", {"name": "乙小区", "has_property_service": True}),
        F("old", {"name": "丙小区", "has_property_service": False}),
    ]
    stations = [F("s1", {"compound_ids": ["covered", "old"]})]
    findings = station_coverage_gap(view(compound=compounds, station=stations))
    assert [(f.subject_type, f.subject_id) for f in findings] == [("compound", "served")]
    assert findings[0].title.startswith("甲小区")


def test_key_resident_without_smoke_alarm() -> None:
    residents = [
        F("k1", {"category": "elderly_alone", "has_smoke_alarm": False}),
        F("k2", {"category": "disabled", "has_smoke_alarm": True}),
    ]
    [finding] = key_resident_unprotected(view(key_resident=residents))
    assert finding.subject_id == "k1"
    assert "孤寡老人" in finding.title


def test_the_catalog_names_each_domain_rule_once_and_reads_fed_facts() -> None:
    assert [(r.kind, r.domain_rule) for r in RULES] == [
        ("responsibility_gap", 1),
        ("missing_fire_pact", 2),
        ("station_coverage_gap", 3),
        ("key_resident_unprotected", 6),
    ]
    fed = {source.kind for source in SOURCES}
    for rule in RULES:
        assert rule.reads <= fed
        assert rule.severity in {"info", "warning", "critical"}
