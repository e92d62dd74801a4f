"""Where facts come from: which events describe an entity, and the few fields rules read.

A source is data: an entity name, the event types that carry it, and a function that keeps the
fields the rules need (never personal data; the events carry none anyway). Rules over the
inspection and duty-roster services add sources here and rules in `rules/catalog.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Data = Mapping[str, Any]
VERBS = ("created", "updated", "deleted")


@dataclass(frozen=True)
class FactSource:
    kind: str  # the fact's kind, e.g. "compound"
    event_types: tuple[str, ...]
    fields: Callable[[Data], dict[str, Any]]
    community_of: Callable[[Data], Any] = lambda data: data.get("community_id")


def registry_entity(
    name: str, fields: Callable[[Data], dict[str, Any]], **extra: Any
) -> FactSource:
    types = tuple(f"firesafe.registry.{name}.{verb}" for verb in VERBS)
    return FactSource(kind=name, event_types=types, fields=fields, **extra)


def _community(data: Data) -> dict[str, Any]:
    return {
        "name": data.get("name"),
        "street_id": data.get("street_id"),
        "district_id": data.get("district_id"),
        "has_responsible_person": data.get("responsible_person") is not None,
        "safety_manager_count": len(data.get("safety_managers") or []),
        "has_fire_pact": data.get("fire_pact") is not None,
    }


def _compound(data: Data) -> dict[str, Any]:
    return {
        "name": data.get("name"),
        "has_property_service": bool(data.get("has_property_service")),
    }


def _station(data: Data) -> dict[str, Any]:
    return {"name": data.get("name"), "compound_ids": list(data.get("compound_ids") or [])}


def _key_resident(data: Data) -> dict[str, Any]:
    return {"category": data.get("category"), "has_smoke_alarm": bool(data.get("has_smoke_alarm"))}


SOURCES: tuple[FactSource, ...] = (
    registry_entity("community", _community, community_of=lambda data: data.get("id")),
    registry_entity("compound", _compound),
    registry_entity("station", _station),
    registry_entity("key_resident", _key_resident),
)
