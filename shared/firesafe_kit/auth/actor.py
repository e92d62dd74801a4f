"""Who is calling: roles decide which actions are allowed, the jurisdiction where."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

ROLES: frozenset[str] = frozenset(
    {
        "city_admin",
        "district_officer",
        "street_officer",
        "community_staff",
        "station_member",
        "fire_inspector",
        "property_manager",
        "viewer",
    }
)

ScopeKind = Literal["city", "district", "street", "community", "station"]
SCOPE_KINDS: frozenset[str] = frozenset(get_args(ScopeKind))
# Tree ids are UUIDs in practice; this also admits readable ids (fixtures) but no separators.
_SCOPE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    id: str | None = None  # None only for the city

    @classmethod
    def parse(cls, value: str) -> Scope:
        """`"city"` or `"<kind>:<id>"`; ValueError for anything else."""
        if not isinstance(value, str):
            raise ValueError(f"scope must be a string, not {type(value).__name__}")
        if value == "city":
            return cls("city")
        kind, sep, scope_id = value.partition(":")
        valid_kind = kind in SCOPE_KINDS and kind != "city"
        if not sep or not valid_kind or not _SCOPE_ID.fullmatch(scope_id):
            raise ValueError(f"invalid jurisdiction scope: {value!r}")
        return cls(kind, scope_id)  # type: ignore[arg-type]  # kind checked against SCOPE_KINDS

    def __str__(self) -> str:
        return self.kind if self.id is None else f"{self.kind}:{self.id}"


CITY = Scope("city")


@dataclass(frozen=True)
class Actor:
    sub: str
    name: str
    roles: frozenset[str]
    jurisdiction: tuple[Scope, ...]
    via: str = "jwt"  # how the caller proved who it is: "jwt", "api_key", …

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_any_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_city(self) -> bool:
        """The whole city is in the jurisdiction (a `city` scope)."""
        return CITY in self.jurisdiction

    def scope_ids(self, kind: ScopeKind) -> frozenset[str]:
        return frozenset(s.id for s in self.jurisdiction if s.kind == kind and s.id is not None)


def can_read_pii(
    actor: Actor, community_id: str | None, community_ancestors: Iterable[Scope] = ()
) -> bool:
    """The `pii:read` permission: a city_admin always; community_staff only for a community in
    its jurisdiction. `community_ancestors` is `jurisdiction.ancestors(community_id)` (self
    first), so a scope above the community counts too.
    """
    if actor.has_role("city_admin"):
        return True
    if community_id is None or not actor.has_role("community_staff"):
        return False
    if actor.is_city or Scope("community", community_id) in actor.jurisdiction:
        return True
    return any(scope in actor.jurisdiction for scope in community_ancestors)
