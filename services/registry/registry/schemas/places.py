"""Compounds, buildings and risk premises inside a community."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from registry.schemas.common import Address, Contact, Filters, Id, Name, RecordRead, Strict

PremiseKind = Literal[
    "rental_housing", "three_in_one", "many_in_one", "ebike_shed", "ebike_charging"
]


class CompoundCreate(Strict):
    community_id: Id
    grid_id: Id | None = None
    name: Name
    address: Address
    has_property_service: bool
    property_company: Name | None = None
    has_fixed_facilities: bool
    is_old: bool
    households: int = Field(ge=0, le=100_000)

    @model_validator(mode="after")
    def _company_needs_service(self) -> CompoundCreate:
        if self.property_company and not self.has_property_service:
            raise ValueError("property_company is set but has_property_service is false")
        return self


class CompoundRead(RecordRead, CompoundCreate):
    pass


class CompoundFilters(Filters):
    community_id: str | None = None
    grid_id: str | None = None
    has_property_service: bool | None = None
    has_fixed_facilities: bool | None = None
    is_old: bool | None = None


class BuildingCreate(Strict):
    compound_id: Id
    name: Name
    floors: int = Field(ge=1, le=200)
    height_m: float | None = Field(default=None, gt=0, le=1000)
    households: int = Field(ge=0, le=10_000)


class BuildingRead(RecordRead, BuildingCreate):
    community_id: str


class BuildingFilters(Filters):
    compound_id: str | None = None
    community_id: str | None = None


class PremiseCreate(Strict):
    community_id: Id
    compound_id: Id | None = None
    kind: PremiseKind
    name: Name
    address: Address
    operator: Contact | None = None
    notes: str | None = Field(default=None, max_length=1000)


class PremiseRead(RecordRead, PremiseCreate):
    pass


class PremiseFilters(Filters):
    community_id: str | None = None
    compound_id: str | None = None
    kind: PremiseKind | None = None
