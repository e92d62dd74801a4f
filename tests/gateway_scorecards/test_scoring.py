"""The score formula, ranking, measures, content negotiation, and joining a new source of
figures by adding one provider (no I/O: fake providers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import pytest

from gateway.scorecards.build import build_scorecard
from gateway.scorecards.collect import collect
from gateway.scorecards.figures import Figure
from gateway.scorecards.measures import Between, Count, Evaluation, Flag, Share, field_value
from gateway.scorecards.negotiation import wants_csv
from gateway.scorecards.provider import Community, Fetched, FigureProvider, Scope, Tree
from gateway.scorecards.scoring import community_score, ranked, weights
from gateway.scorecards.upstream import UpstreamReader
from gateway.upstream_errors import UpstreamBadResponse, UpstreamUnavailable


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("text/csv", True),
        ("text/csv; charset=utf-8", True),
        ("text/csv, application/json", True),  # a tie: the first listed wins
        ("application/json, text/csv", False),
        ("text/csv;q=0.5, application/json", False),
        ("application/json;q=0.1, text/csv", True),
        ("text/csv;q=0", False),
        ("text/csv;q=abc", False),
        ("TEXT/CSV", True),
    ],
)
def test_csv_only_when_asked_for(accept: str | None, csv: bool) -> None:
    assert wants_csv(accept) is csv


def test_ties_share_a_rank_and_are_listed_by_code() -> None:
    entries = [("c", 50.0), ("a", 80.04), ("b", 79.96), ("d", None), ("e", 50.0)]
    result = ranked(entries, lambda e: e[1], lambda e: e[0])
    assert [(rank, e[0]) for rank, e in result] == [
        (1, "a"),
        (1, "b"),  # 80.0 and 80.0 once rounded to 0.1
        (3, "c"),
        (3, "e"),
        (5, "d"),  # no score: last
    ]


def figure(rule: int, key: str, measure: Any, *, scored: bool = True) -> Figure:
    return Figure(rule, key, key, key, measure, scored=scored)


def test_score_is_the_mean_over_rules_of_the_mean_credit_of_their_figures() -> None:
    raw = {"named": True, "managers": 3, "covered": 3, "served": 4, "none": 0, "info": 7}
    results = [
        (f, f.measure.evaluate(raw))
        for f in (
            figure(1, "named", Flag("named")),
            figure(1, "managers", Between("managers", 1, 2)),  # not met: 0
            figure(3, "coverage", Share(field_value("covered"), field_value("served"))),
            figure(5, "nothing", Share(field_value("none"), field_value("none"))),  # n/a
            figure(5, "info", Count("info"), scored=False),
        )
    ]
    # rule 1: (1 + 0) / 2; rule 3: 0.75; rule 5 has no applicable figure.
    assert community_score(results) == pytest.approx(100 * (0.5 + 0.75) / 2)
    assert weights(results) == {"named": 0.25, "managers": 0.25, "coverage": 0.5}


def test_a_share_earns_its_fraction_of_the_target_at_most_once() -> None:
    share = Share(field_value("part"), field_value("whole"), target=0.8)
    assert share.evaluate({"part": 6, "whole": 10}) == Evaluation(
        0.6, 0.8, False, pytest.approx(0.75), {"count": 6, "of": 10}
    )
    assert share.evaluate({"part": 10, "whole": 10}).credit == 1.0
    empty = share.evaluate({"part": 0, "whole": 0})
    assert (empty.value, empty.met, empty.credit) == (None, None, None)
    assert share.aggregate([{"part": 1, "whole": 2}, {"part": 3, "whole": 3}]).value == 0.8


# --- a new source joins by being one more provider --------------------------------------

SCOPE = Scope("street", "s1")
COMMUNITIES = [
    Community("c1", "110105001001", "甲", "s1", "110105001", "一街道", "d1"),
    Community("c2", "110105001002", "乙", "s1", "110105001", "一街道", "d1"),
]


@dataclass
class FakeTree:
    source: str = "registry"
    required: bool = True
    figures: Sequence[Figure] = (figure(2, "pact", Flag("pact")),)

    async def fetch(self, reader: UpstreamReader, scope: Scope) -> Fetched:
        tree = Tree("street", "s1", "110105001", "一街道", date(2025, 1, 1), COMMUNITIES)
        return Fetched({"c1": {"pact": True}, "c2": {"pact": True}}, tree)


@dataclass
class FakeInspection:
    source: str = "inspection"
    required: bool = False
    fail: bool = False
    figures: Sequence[Figure] = (figure(8, "monthly_inspection", Flag("inspected")),)
    calls: list[Scope] = field(default_factory=list)

    async def fetch(self, reader: UpstreamReader, scope: Scope) -> Fetched:
        self.calls.append(scope)
        if self.fail:
            raise UpstreamUnavailable(self.source)
        return Fetched({"c1": {"inspected": True}, "c2": {"inspected": False}})


@dataclass
class FakeReader:
    reachable: set[str]

    def has(self, service: str) -> bool:
        return service in self.reachable


SERVICES = ["registry", "inspection", "duty-roster", "alerts"]


async def card_with(providers: Sequence[Any], reachable: set[str]) -> Any:
    reader = cast(UpstreamReader, FakeReader(reachable))
    collected = await collect(reader, SCOPE, cast(Sequence[FigureProvider], providers), SERVICES)
    return build_scorecard(collected)


async def test_a_new_provider_adds_its_rule_to_figures_and_score() -> None:
    inspection = FakeInspection()
    card = await card_with([FakeTree(), inspection], set(SERVICES))
    assert card.sources == {
        "registry": "ok",
        "inspection": "ok",
        "alerts": "not_available",
        "duty-roster": "not_available",
    }
    assert inspection.calls == [SCOPE]  # once for the whole street
    assert [(f.rule, f.figure, f.source) for f in card.figures] == [
        (2, "pact", "registry"),
        (8, "monthly_inspection", "inspection"),
    ]
    assert [(c.name, c.score) for c in card.communities] == [("甲", 100.0), ("乙", 50.0)]


async def test_an_optional_source_that_fails_or_is_not_reached_only_drops_its_figures() -> None:
    failed = await card_with([FakeTree(), FakeInspection(fail=True)], set(SERVICES))
    assert failed.sources["inspection"] == "unavailable"
    assert [f.figure for f in failed.figures] == ["pact"]
    assert [c.score for c in failed.communities] == [100.0, 100.0]
    unreached = await card_with([FakeTree(), FakeInspection()], {"registry"})
    assert unreached.sources["inspection"] == "not_available"


async def test_without_the_tree_there_is_no_scorecard() -> None:
    with pytest.raises(UpstreamUnavailable):
        await card_with([FakeTree(), FakeInspection()], {"inspection"})
    with pytest.raises(UpstreamBadResponse):
        await card_with([FakeInspection()], set(SERVICES))
