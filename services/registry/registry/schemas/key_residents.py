"""Key residents (重点人群) and the safety devices in their homes (rule 6)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from registry.schemas.common import Address, Contact, Filters, Id, RecordRead, Strict
from registry.validators import PersonName, PhoneNumber, ResidentIdNumber

Category = Literal["elderly_alone", "left_behind_child", "disabled"]
DeviceKind = Literal["smoke_alarm", "extinguisher", "simple_sprinkler"]


class Device(Strict):
    kind: DeviceKind
    installed_on: date

    @field_validator("installed_on")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("installed_on is in the future")
        return value


class ContactPerson(Contact):
    relation: str | None = Field(default=None, max_length=20)


class KeyResidentCreate(Strict):
    community_id: Id
    building_id: Id | None = None
    category: Category
    name: PersonName
    phone: PhoneNumber | None = None
    id_number: ResidentIdNumber | None = None
    address: Address
    contact_person: ContactPerson | None = None
    devices: list[Device] = Field(default_factory=list, max_length=20)


class MaskedContact(BaseModel):
    name: str
    phone: str
    relation: str | None = None


class KeyResidentRead(RecordRead):
    """Personal fields are masked unless the reader holds `pii:read` (`masked` says which)."""

    community_id: str
    building_id: str | None
    category: Category
    name: str
    phone: str | None
    id_number: str | None
    address: str
    contact_person: MaskedContact | None
    devices: list[Device]
    masked: bool


class KeyResidentFilters(Filters):
    community_id: str | None = None
    building_id: str | None = None
    category: Category | None = None
