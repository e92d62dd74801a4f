"""The events the registry promises on firesafe.registry.v1, one payload model per type.

Where an event is the resource as the API shows it (`resources.common.as_event`), its model is
the read schema. Where people appear, events carry them masked (`masked_people`), so those
fields are plain strings here; the read schemas' name and phone rules would reject them.
`tests/gateway_docs/test_registry_contract.py` checks what is really published against this.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from firesafe_kit.events.catalog import COMMUNITY_KEY, Catalog, EventSpec
from registry.schemas.common import (
    Address,
    EmergencyPlan,
    Employment,
    FirePact,
    Id,
    Name,
    RecordRead,
)
from registry.schemas.facilities import FacilityRead
from registry.schemas.key_residents import Category, Device, DeviceKind
from registry.schemas.places import BuildingRead, CompoundRead, PremiseKind
from registry.schemas.stations import StationRead
from registry.schemas.tree import DistrictRead, StreetRead
from registry.validators import CommunityCode

TOPIC = "firesafe.registry.v1"
VERBS = ("created", "updated", "deleted")


class MaskedPerson(BaseModel):
    """An official or worker: that someone is named, not who."""

    name: str = Field(description="masked: first character, then `*`", examples=["王**"])
    phone: str = Field(description="masked: mobile 3+4 digits shown", examples=["136****5678"])


class MaskedSafetyManager(MaskedPerson):
    employment: Employment


class CommunityEvent(RecordRead):
    """A community as the API shows it, its responsible person and managers masked."""

    street_id: Id
    district_id: str
    code: CommunityCode
    name: Name
    responsible_person: MaskedPerson | None = None
    safety_managers: list[MaskedSafetyManager] = Field(min_length=1, max_length=2)
    fire_pact: FirePact | None = None
    emergency_plan: EmergencyPlan | None = None


class GridEvent(RecordRead):
    """A grid as the API shows it, its workers masked."""

    community_id: Id
    name: Name
    workers: list[MaskedPerson] = Field(default_factory=list, max_length=50)


class PremiseEvent(RecordRead):
    """A risk premise as the API shows it, its operator masked."""

    community_id: Id
    compound_id: Id | None = None
    kind: PremiseKind
    name: Name
    address: Address
    operator: MaskedPerson | None = None
    notes: str | None = Field(default=None, max_length=1000)


class KeyResidentEvent(BaseModel):
    """No personal data at all: what other services count (category, devices)."""

    id: str
    version: int = Field(ge=1, description="newer states have higher versions")
    community_id: str
    building_id: str | None
    category: Category
    devices: list[Device]
    has_smoke_alarm: bool
    deleted: bool


class DeviceInstalled(BaseModel):
    key_resident_id: str
    community_id: str
    kind: DeviceKind
    installed_on: date


class StationMemberEvent(BaseModel):
    """Staff are counted by role in events, never named."""

    id: str
    station_id: str
    community_id: str
    role: Literal["head", "member"]
    employment: Employment
    trained_on: date | None


# Resource name (as in its ResourceSpec) -> its payload and its name in summaries.
RESOURCE_PAYLOADS: dict[str, tuple[type[BaseModel], str]] = {
    "district": (DistrictRead, "District (区)"),
    "street": (StreetRead, "Street or town (街道/乡镇)"),
    "community": (CommunityEvent, "Community (社区)"),
    "grid": (GridEvent, "Grid (网格)"),
    "compound": (CompoundRead, "Residential compound (小区)"),
    "building": (BuildingRead, "Building (楼栋)"),
    "premise": (PremiseEvent, "Risk premise (风险场所)"),
    "station": (StationRead, "Micro fire station (微型消防站)"),
    "facility": (FacilityRead, "Fixed fire facility (消防设施)"),
    "key_resident": (KeyResidentEvent, "Key resident (重点人群)"),
}
# Districts and streets sit above communities: their records are keyed by their own id.
OWN_KEY = {"district": "the district id", "street": "the street id"}


def _resource_events() -> list[EventSpec]:
    return [
        EventSpec(
            type=f"firesafe.registry.{name}.{verb}",
            payload=payload,
            summary=f"{noun} {verb}",
            key=OWN_KEY.get(name, COMMUNITY_KEY),
        )
        for name, (payload, noun) in RESOURCE_PAYLOADS.items()
        for verb in VERBS
    ]


CATALOG = Catalog(
    service="registry",
    topic=TOPIC,
    events=[
        *_resource_events(),
        EventSpec(
            type="firesafe.registry.station.member.added",
            payload=StationMemberEvent,
            summary="Member joined a micro fire station",
        ),
        EventSpec(
            type="firesafe.registry.station.member.removed",
            payload=StationMemberEvent,
            summary="Member left a micro fire station",
        ),
        EventSpec(
            type="firesafe.registry.key_resident.device.installed",
            payload=DeviceInstalled,
            summary="Safety device recorded in a key resident's home",
        ),
    ],
)
