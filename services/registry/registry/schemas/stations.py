"""Micro fire stations (微型消防站) and their members."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from registry.schemas.common import Employment, Filters, Id, Name, RecordRead, Strict
from registry.validators import PersonName, PhoneNumber


class Equipment(Strict):
    name: Name
    quantity: int = Field(ge=0, le=10_000)


class StationCreate(Strict):
    community_id: Id
    name: Name
    phone: PhoneNumber | None = None
    compound_ids: list[Id] = Field(default_factory=list, max_length=200)
    equipment: list[Equipment] = Field(default_factory=list, max_length=200)

    @field_validator("compound_ids")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a compound is listed twice")
        return value


class StationRead(RecordRead, StationCreate):
    pass


class StationFilters(Filters):
    community_id: str | None = None


class MemberCreate(Strict):
    name: PersonName
    phone: PhoneNumber
    role: Literal["head", "member"]
    employment: Employment
    trained_on: date | None = None


class MemberRead(RecordRead, MemberCreate):
    station_id: str
    community_id: str
