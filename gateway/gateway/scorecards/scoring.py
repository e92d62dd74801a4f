"""The composite score that ranks communities (and streets), as the district office publishes it.

Every rule counts equally, and the figures of a rule share the rule's weight equally:

    score(community) = 100 × mean over rules r in R of ( mean over f in F_r of credit(f) )

- F_r: the scored figures of rule r that apply to the community (a share whose whole is 0,
  e.g. station coverage with no compound with property service, does not apply);
  R: the rules with at least one applicable scored figure. So a figure's weight in this
  community is 1 / (|R| × |F_r|), reported beside it as `weight`.
- credit(f): 1 if a yes/no or range figure is met, else 0; for a share, the reached
  fraction of its target, capped at 1 (coverage 0.75 of a target 1.0 earns 0.75).
- Figures marked `scored: false` (hints and information) and figures of sources that are not
  available do not count; when a source joins, its rules join R.

A street's or a district's score is the mean of its communities' scores (each community counts
once, whatever its size). Ranking: score descending, ties share a rank (1, 2, 2, 4) and are
listed by administrative code; scores are compared rounded to 0.1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from statistics import fmean
from typing import TypeVar

from gateway.scorecards.figures import Figure
from gateway.scorecards.measures import Evaluation

T = TypeVar("T")

SCORE_FORMULA = (
    "score = 100 × mean over rules r of (mean over the applicable scored figures f of rule r "
    "of credit(f)); credit = 1 if met else 0 for yes/no and range figures, "
    "min(1, value / target) for shares; a figure whose whole is 0 does not apply, and a rule "
    "with no applicable figure is left out; unscored figures (hints, information) and "
    "unavailable sources do not count. A street's or district's score is the mean of its "
    "communities' scores. Ranking: score descending (rounded to 0.1), equal scores share a "
    "rank, listed by code."
)


def weights(results: Sequence[tuple[Figure, Evaluation]]) -> dict[str, float]:
    """Each counting figure's weight in this community's score (they sum to 1)."""
    by_rule: dict[int, list[str]] = defaultdict(list)
    for figure, evaluation in results:
        if figure.scored and evaluation.credit is not None:
            by_rule[figure.rule].append(figure.key)
    return {key: 1 / (len(by_rule) * len(keys)) for keys in by_rule.values() for key in keys}


def community_score(results: Sequence[tuple[Figure, Evaluation]]) -> float | None:
    weight = weights(results)
    if not weight:
        return None
    total = sum(
        weight[figure.key] * (evaluation.credit or 0.0)
        for figure, evaluation in results
        if figure.key in weight
    )
    return 100 * total


def mean_score(scores: Sequence[float | None]) -> float | None:
    known = [s for s in scores if s is not None]
    return fmean(known) if known else None


def shown(score: float | None) -> float | None:
    """Scores are published (and compared for ranking) to one decimal."""
    return None if score is None else round(score, 1)


def ranked(
    entries: Sequence[T], score: Callable[[T], float | None], code: Callable[[T], str]
) -> list[tuple[int, T]]:
    """Entries with their rank: best score first, equal scores share a rank, then by code."""

    def key(entry: T) -> tuple[float, str]:
        value = shown(score(entry))
        return (-value if value is not None else float("inf"), code(entry))

    ordered = sorted(entries, key=key)
    result: list[tuple[int, T]] = []
    for position, entry in enumerate(ordered, start=1):
        tied = result and key(result[-1][1])[0] == key(entry)[0]
        result.append((result[-1][0] if tied else position, entry))
    return result
