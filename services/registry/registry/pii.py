"""Key residents' personal data: masked unless the reader holds `pii:read`, and every
unmasked read written to the access log in the reader's own transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.auth.actor import Actor, can_read_pii
from firesafe_kit.auth.jurisdiction import ancestors
from firesafe_kit.clock import utcnow
from firesafe_kit.observability.context import current_request_id
from registry.masking import mask_address, mask_id_number, mask_name, mask_phone
from registry.models import KeyResident, PiiAccess
from registry.schemas.key_residents import KeyResidentRead


async def may_read_pii(session: AsyncSession, actor: Actor, community_id: str) -> bool:
    if actor.has_role("city_admin"):
        return True
    return can_read_pii(actor, community_id, await ancestors(session, community_id))


def _masked_contact(contact: dict[str, Any] | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {**contact, "name": mask_name(contact["name"]), "phone": mask_phone(contact["phone"])}


async def present_key_resident(
    session: AsyncSession, record: KeyResident, actor: Actor
) -> KeyResidentRead:
    unmasked = await may_read_pii(session, actor, record.community_id)
    if unmasked:
        session.add(
            PiiAccess(
                at=utcnow(),
                actor_sub=actor.sub,
                actor_name=actor.name,
                actor_roles=sorted(actor.roles),
                resource="key_resident",
                resource_id=record.id,
                community_id=record.community_id,
                request_id=current_request_id(),
            )
        )
    fields = {
        "name": record.name,
        "phone": record.phone,
        "id_number": record.id_number,
        "address": record.address,
        "contact_person": record.contact_person,
    }
    if not unmasked:
        fields = {
            "name": mask_name(record.name),
            "phone": mask_phone(record.phone),
            "id_number": mask_id_number(record.id_number),
            "address": mask_address(record.address),
            "contact_person": _masked_contact(record.contact_person),
        }
    return KeyResidentRead(
        id=record.id,
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
        community_id=record.community_id,
        building_id=record.building_id,
        category=record.category,
        devices=record.devices,
        masked=not unmasked,
        **fields,
    )
