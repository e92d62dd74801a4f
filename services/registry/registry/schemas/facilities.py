"""Fixed fire facilities (建筑固定消防设施) and who maintains and tests them (rule 5)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import model_validator

from registry.schemas.common import Filters, Id, Name, RecordRead, Strict

FacilityKind = Literal[
    "automatic_sprinkler",
    "fire_hydrant",
    "fire_alarm",
    "smoke_exhaust",
    "emergency_lighting",
    "extinguisher",
    "fire_door",
    "other",
]
FacilityStatus = Literal["in_service", "faulty", "under_repair", "out_of_service"]


class Maintainer(Strict):
    # Rule 5: the property company where there is one; otherwise the street office or the
    # residents' committee maintains the facilities of old compounds.
    party: Literal["property_company", "street_office", "residents_committee", "other"]
    name: Name


class FacilityCreate(Strict):
    compound_id: Id
    building_id: Id | None = None
    kind: FacilityKind
    status: FacilityStatus = "in_service"
    maintained_by: Maintainer
    testing_agency: Name | None = None
    last_tested_on: date | None = None
    next_test_due: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> FacilityCreate:
        if self.last_tested_on and self.next_test_due and self.next_test_due <= self.last_tested_on:
            raise ValueError("next_test_due must be after last_tested_on")
        if self.last_tested_on and self.last_tested_on > date.today():
            raise ValueError("last_tested_on is in the future")
        return self


class FacilityRead(RecordRead, FacilityCreate):
    community_id: str


class FacilityFilters(Filters):
    community_id: str | None = None
    compound_id: str | None = None
    building_id: str | None = None
    kind: FacilityKind | None = None
    status: FacilityStatus | None = None
