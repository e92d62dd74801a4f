"""Shapes shared by several registry resources."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from firesafe_kit.crud.spec import ListQuery
from registry.validators import DocumentUrl, PersonName, PhoneNumber

Employment = Literal["full_time", "part_time"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]


class Strict(BaseModel):
    """Input shapes: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Filters(ListQuery):
    """List filters (and paging): unknown query parameters are an error too."""


class Contact(Strict):
    name: PersonName
    phone: PhoneNumber


class SafetyManager(Contact):
    employment: Employment


class DatedDocument(Strict):
    document_url: DocumentUrl | None = None


class FirePact(DatedDocument):
    adopted_on: date


class EmergencyPlan(DatedDocument):
    updated_on: date


class RecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    created_at: datetime
    updated_at: datetime
