"""A figure of the creation scorecard: which rule of DOMAIN.md it measures, its labels in the
words people on the ground use, how it is measured, and whether it counts towards the score."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.scorecards.measures import Measure


@dataclass(frozen=True)
class Figure:
    rule: int  # DOMAIN.md "The rules the plan sets", 1–8
    key: str  # stable machine name; also the CSV column
    label_zh: str
    label_en: str
    measure: Measure
    # False: shown with its target but not part of the score (a hint, or information only).
    scored: bool = True
