"""How a figure is measured: for one community (value, target, met, credit) and for many (the
aggregate of a street or district). Four kinds cover rules 1–8:

- `Flag`     yes/no, target yes (a pact adopted). Aggregate: share of communities with yes.
- `Between`  a count inside a range (1–2 managers). Aggregate: share of communities inside.
- `Share`    part of a whole, target a ratio (compounds covered by a station). Not applicable
             when the whole is 0. Aggregate: sum of parts over sum of wholes.
- `Count`    a number shown for information, no target. Aggregate: the sum.

`credit` is what a community earns towards its score: 1 or 0 for a flag or a range, the
reached fraction of the target (capped at 1) for a share, None when it does not count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Raw = Mapping[str, Any]  # one community's raw figures from one source
Value = bool | int | float | None
DECIMALS = 4


@dataclass(frozen=True)
class Evaluation:
    value: Value
    target: Any  # JSON: true, 1.0, {"min": 1, "max": 2}, or null
    met: bool | None  # None: nothing to measure, or no target
    credit: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class Measure(Protocol):
    def evaluate(self, raw: Raw) -> Evaluation: ...

    def aggregate(self, raws: Sequence[Raw]) -> Evaluation: ...


def _share_of_communities(meeting: int, communities: int) -> Evaluation:
    if not communities:
        return Evaluation(None, 1.0, None, detail={"count": 0, "of": 0})
    value = round(meeting / communities, DECIMALS)
    detail = {"count": meeting, "of": communities}
    return Evaluation(value, 1.0, meeting == communities, detail=detail)


@dataclass(frozen=True)
class Flag:
    field: str
    details: tuple[str, ...] = ()  # raw fields shown beside the value (e.g. a date)

    def evaluate(self, raw: Raw) -> Evaluation:
        value = bool(raw[self.field])
        detail = {name: raw.get(name) for name in self.details}
        return Evaluation(value, True, value, 1.0 if value else 0.0, detail)

    def aggregate(self, raws: Sequence[Raw]) -> Evaluation:
        return _share_of_communities(sum(bool(r[self.field]) for r in raws), len(raws))


@dataclass(frozen=True)
class Between:
    field: str
    low: int
    high: int

    def evaluate(self, raw: Raw) -> Evaluation:
        value = int(raw[self.field])
        met = self.low <= value <= self.high
        return Evaluation(value, {"min": self.low, "max": self.high}, met, 1.0 if met else 0.0)

    def aggregate(self, raws: Sequence[Raw]) -> Evaluation:
        inside = sum(self.low <= int(r[self.field]) <= self.high for r in raws)
        return _share_of_communities(inside, len(raws))


@dataclass(frozen=True)
class Share:
    part: Callable[[Raw], int]
    whole: Callable[[Raw], int]
    target: float = 1.0

    def _measure(self, part: int, whole: int) -> Evaluation:
        detail = {"count": part, "of": whole}
        if whole <= 0:
            return Evaluation(None, self.target, None, None, detail)  # nothing to measure
        ratio = part / whole
        credit = min(1.0, ratio / self.target)
        return Evaluation(round(ratio, DECIMALS), self.target, ratio >= self.target, credit, detail)

    def evaluate(self, raw: Raw) -> Evaluation:
        return self._measure(self.part(raw), self.whole(raw))

    def aggregate(self, raws: Sequence[Raw]) -> Evaluation:
        return self._measure(sum(self.part(r) for r in raws), sum(self.whole(r) for r in raws))


@dataclass(frozen=True)
class Count:
    field: str

    def evaluate(self, raw: Raw) -> Evaluation:
        return Evaluation(int(raw[self.field]), None, None)

    def aggregate(self, raws: Sequence[Raw]) -> Evaluation:
        return Evaluation(sum(int(r[self.field]) for r in raws), None, None)


def field_value(name: str) -> Callable[[Raw], int]:
    """A raw count by name, for the parts and wholes of a Share."""

    def value(raw: Raw) -> int:
        return int(raw[name])

    value.__name__ = name
    return value
