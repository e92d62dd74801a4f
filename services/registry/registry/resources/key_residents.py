"""Key residents: personal data masked on read and never in events (rule 6 and API.md)."""

from __future__ import annotations

from typing import Any

from firesafe_kit.crud.spec import ResourceSpec, Verb, WriteContext
from registry.access import same_community, visible_reference
from registry.models import Building, Community, KeyResident
from registry.pii import present_key_resident
from registry.resources.common import columns, inside_community
from registry.schemas.key_residents import (
    KeyResidentCreate,
    KeyResidentFilters,
    KeyResidentRead,
)


async def prepare_key_resident(
    context: WriteContext, data: KeyResidentCreate, current: Any
) -> dict[str, Any]:
    session, actor = context.session, context.actor
    await visible_reference(
        session, actor, Community, data.community_id, "community_id", scope="id"
    )
    if data.building_id:
        building = await visible_reference(
            session, actor, Building, data.building_id, "building_id"
        )
        same_community(building, data.community_id, "building_id")
    return columns(data)


def key_resident_event(record: KeyResident) -> dict[str, Any]:
    """What other services need (category, devices), with no personal data at all."""
    return {
        "id": record.id,
        "version": record.version,  # consumers keep the newest state when events replay
        "community_id": record.community_id,
        "building_id": record.building_id,
        "category": record.category,
        "devices": record.devices,
        "has_smoke_alarm": any(d["kind"] == "smoke_alarm" for d in record.devices),
        "deleted": record.deleted_at is not None,
    }


def _device_keys(devices: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(d["kind"], str(d["installed_on"])) for d in devices}


async def announce_new_devices(
    context: WriteContext, record: KeyResident, before: KeyResident | None, verb: Verb
) -> None:
    if verb == "deleted":
        return
    known = _device_keys(before.devices) if before is not None else set()
    for kind, installed_on in sorted(_device_keys(record.devices) - known):
        await context.outbox.publish(
            context.session,
            type=f"{context.outbox.source_prefix}.key_resident.device.installed",
            subject=record.id,
            data={
                "key_resident_id": record.id,
                "community_id": record.community_id,
                "kind": kind,
                "installed_on": installed_on,
            },
            partition_key=record.community_id,
        )


KEY_RESIDENTS = ResourceSpec(
    name="key_resident",
    path="/key-residents",
    tag="key residents",
    model=KeyResident,
    create=KeyResidentCreate,
    read=KeyResidentRead,
    filters=KeyResidentFilters,
    **inside_community(KeyResident),
    event_data=key_resident_event,
    prepare=prepare_key_resident,
    present=present_key_resident,
    after_write=announce_new_devices,
    immutable=["community_id"],
)
