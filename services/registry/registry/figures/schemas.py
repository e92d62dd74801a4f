"""The figures query (exactly one scope, paging) and the raw figures of one community."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ScopeKind = Literal["district", "street", "community"]
# Tree ids are UUIDs (readable ASCII ids in fixtures); anything else cannot name a node, and a
# NUL byte or stray Unicode must be a 422 here rather than a database error.
ID_PATTERN = r"^[A-Za-z0-9_.-]+$"
ScopeId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=36, pattern=ID_PATTERN),
]

DEFAULT_PAGE = 500
MAX_PAGE = 1000  # an internal aggregate: a district of 500 communities is one page


class FiguresQuery(BaseModel):
    """`?district_id=…` or `?street_id=…` or `?community_id=…` (exactly one), and paging."""

    model_config = ConfigDict(extra="forbid")

    district_id: ScopeId | None = None
    street_id: ScopeId | None = None
    community_id: ScopeId | None = None
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE, description="page size (1–1000)")
    cursor: str | None = Field(default=None, max_length=2048, description="from next_cursor")

    @model_validator(mode="after")
    def _exactly_one_scope(self) -> FiguresQuery:
        given = [kind for kind, value in self._scopes() if value is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of district_id, street_id, community_id")
        return self

    def _scopes(self) -> list[tuple[ScopeKind, str | None]]:
        return [
            ("district", self.district_id),
            ("street", self.street_id),
            ("community", self.community_id),
        ]

    @property
    def scope(self) -> tuple[ScopeKind, str]:
        kind, value = next((k, v) for k, v in self._scopes() if v is not None)
        return kind, value


class ScopeRead(BaseModel):
    kind: ScopeKind
    id: str
    code: str
    name: str


class CommunityFigures(BaseModel):
    """What the registry knows of one community's creation work, uninterpreted: targets and
    scores are the gateway's."""

    community_id: str
    code: str
    name: str
    street_id: str
    street_code: str
    street_name: str
    district_id: str
    # rule 1
    responsible_person_named: bool
    safety_managers: int
    # rule 2
    fire_pact_adopted: bool
    fire_pact_adopted_on: date | None
    # rule 7 (the plan; drills and publicity are the duty roster's)
    emergency_plan_present: bool
    emergency_plan_updated_on: date | None
    # rule 3 (and rule 5's old compounds)
    compounds: int
    compounds_with_property_service: int
    compounds_with_property_service_covered: int
    old_compounds_without_property_service: int
    # rule 4, a hint only: a station with fewer than 2 members cannot staff a shift of 2
    stations: int
    station_members: int
    stations_with_two_members: int
    # rule 5
    facilities: int
    facilities_overdue: int
    # rule 6
    key_residents: int
    key_residents_with_smoke_alarm: int


class FiguresPage(BaseModel):
    scope: ScopeRead
    as_of: date = Field(description="today in the platform time zone (overdue tests)")
    items: list[CommunityFigures]
    next_cursor: str | None = None
