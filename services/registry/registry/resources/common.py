"""Pieces every registry resource spec uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from firesafe_kit.auth.jurisdiction import delete_node, upsert_node
from firesafe_kit.crud.spec import AfterWrite, Verb, WriteContext
from registry.access import COMMUNITY_WRITERS, by_community
from registry.masking import mask_name, mask_phone


def columns(data: BaseModel, **extra: Any) -> dict[str, Any]:
    """Validated input as column values (nested shapes become the JSON of their columns)."""
    return {**data.model_dump(mode="python"), **extra}


def masked_people(value: Any) -> Any:
    """Every {name, phone} pair inside `value` masked: events carry no personal data, not even
    the work phone of an official (consumers need to know that a person is named, not who)."""
    if isinstance(value, list):
        return [masked_people(item) for item in value]
    if not isinstance(value, dict):
        return value
    result = {key: masked_people(item) for key, item in value.items()}
    if "name" in result and "phone" in result:
        result["name"] = mask_name(result["name"])
        result["phone"] = mask_phone(result["phone"])
    return result


def as_event(read: type[BaseModel]) -> Callable[[Any], dict[str, Any]]:
    """Event data = the resource as the API shows it, people masked."""

    def event_data(record: Any) -> dict[str, Any]:
        shown = read.model_validate(record, from_attributes=True).model_dump(mode="json")
        return {key: masked_people(value) for key, value in shown.items()}

    return event_data


def inside_community(model: Any) -> dict[str, Any]:
    """Spec arguments shared by everything that lives inside one community: it is read and
    changed under its community's jurisdiction, keyed by it on the topic, and never moves."""
    return {
        "write_roles": COMMUNITY_WRITERS,
        "own_scope": lambda record: record.community_id,
        "partition_key": lambda record: record.community_id,
        "visibility": by_community(model),
    }


def keeps_tree(kind: str, parent: str | None) -> AfterWrite:
    """District, street, community and station changes update the jurisdiction tree in the
    same transaction, so access checks never lag behind the registry's own writes."""

    async def after_write(context: WriteContext, record: Any, _before: Any, verb: Verb) -> None:
        if verb == "deleted":
            await delete_node(context.session, record.id)
        else:
            parent_id = getattr(record, parent) if parent else None
            await upsert_node(context.session, id=record.id, kind=kind, parent_id=parent_id)

    return after_write
