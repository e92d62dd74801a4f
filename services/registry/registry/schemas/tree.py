"""Districts, streets, communities and grids: the administrative tree."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from registry.schemas.common import (
    Contact,
    EmergencyPlan,
    Filters,
    FirePact,
    Id,
    Name,
    RecordRead,
    SafetyManager,
    Strict,
)
from registry.validators import CommunityCode, DistrictCode, StreetCode


class DistrictCreate(Strict):
    code: DistrictCode
    name: Name


class DistrictRead(RecordRead, DistrictCreate):
    pass


class DistrictFilters(Filters):
    code: str | None = None


class StreetCreate(Strict):
    district_id: Id
    code: StreetCode
    name: Name
    kind: Literal["street", "town"] = "street"


class StreetRead(RecordRead, StreetCreate):
    pass


class StreetFilters(Filters):
    district_id: str | None = None
    code: str | None = None
    kind: Literal["street", "town"] | None = None


class CommunityCreate(Strict):
    street_id: Id
    code: CommunityCode
    name: Name
    # The residents' committee head (rule 1); may be pending, which the alerts service flags.
    responsible_person: Contact | None = None
    safety_managers: list[SafetyManager] = Field(min_length=1, max_length=2)
    fire_pact: FirePact | None = None
    emergency_plan: EmergencyPlan | None = None

    @model_validator(mode="after")
    def _distinct_managers(self) -> CommunityCreate:
        phones = [m.phone for m in self.safety_managers]
        if len(set(phones)) != len(phones):
            raise ValueError("safety_managers: the same person is listed twice")
        return self


class CommunityRead(RecordRead, CommunityCreate):
    district_id: str


class CommunityFilters(Filters):
    street_id: str | None = None
    district_id: str | None = None
    code: str | None = None


class GridCreate(Strict):
    community_id: Id
    name: Name
    workers: list[Contact] = Field(default_factory=list, max_length=50)


class GridRead(RecordRead, GridCreate):
    pass


class GridFilters(Filters):
    community_id: str | None = None
