"""The scorecard as the API shows it (JSON); `csv_export` flattens the same data."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

FigureValue = bool | int | float | None


class TargetRange(BaseModel):
    min: int
    max: int


class FigureRead(BaseModel):
    rule: int = Field(description="DOMAIN.md rule 1–8")
    figure: str
    label_zh: str
    label_en: str
    source: str = Field(description="the service the figure comes from")
    value: FigureValue = Field(description="null: nothing to measure (e.g. no facilities)")
    target: bool | float | TargetRange | None
    met: bool | None
    scored: bool = Field(description="whether it counts towards the score")
    weight: float | None = Field(
        default=None, description="its weight in this community's score (community figures)"
    )
    detail: dict[str, Any] = Field(default_factory=dict)


class FigureBrief(BaseModel):
    value: FigureValue
    met: bool | None


class RankedCommunity(BaseModel):
    rank: int
    id: str
    code: str
    name: str
    street_id: str
    street_code: str
    street_name: str
    score: float | None
    figures_met: int = Field(description="scored figures met")
    figures_scored: int = Field(description="scored figures that apply")
    figures: dict[str, FigureBrief] = Field(description="by figure key (labels: `figures`)")


class RankedStreet(BaseModel):
    rank: int
    id: str
    code: str
    name: str
    score: float | None = Field(description="mean score of its communities")
    communities: int


class ScopeRead(BaseModel):
    kind: Literal["community", "street", "district"]
    id: str
    code: str
    name: str


class Scorecard(BaseModel):
    scope: ScopeRead
    as_of: date = Field(description="the day the figures hold for (platform time zone)")
    sources: dict[str, Literal["ok", "unavailable", "not_available"]] = Field(
        description="ok; unavailable (failed this time); not_available (no figures yet)"
    )
    score: float | None
    score_formula: str
    figures: list[FigureRead] = Field(
        description="the community's figures; for a street or district their aggregate: the "
        "share of communities meeting a yes/no or range figure, sum of parts over sum of "
        "wholes for a share, the sum for a count (`detail` gives count and of)"
    )
    communities: list[RankedCommunity] = Field(description="ranked by score")
    streets: list[RankedStreet] | None = Field(
        default=None, description="a district's streets, ranked by score"
    )
