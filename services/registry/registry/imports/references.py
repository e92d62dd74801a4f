"""The specs' reference rules for a whole file at once.

`registry.access.visible_reference` loads one record per call; for thousands of rows that is
thousands of round trips. `References` applies the very same rule — the referenced record is
live, and the actor may access the tree node it hangs under — after loading every id of one
table in one query (chunked), and deciding access once per community. `same_community` is the
spec's own function. Failures raise the spec's `InvalidReference`, which the import collects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.jurisdiction import can_access
from registry.access import same_community
from registry.exceptions import InvalidReference
from registry.models import Compound

# Ids per IN (...) list: far below SQLite's and PostgreSQL's bound-parameter limits.
CHUNK: Final = 1000


def chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class References:
    def __init__(self, session: AsyncSession, actor: Actor, community_id: str) -> None:
        self.session = session
        self.actor = actor
        self.community_id = community_id
        self._records: dict[tuple[type[Any], str], Any] = {}
        self._access: dict[str, bool] = {}

    async def load(self, model: type[Any], ids: Iterable[str]) -> None:
        """Fetch the live records of `model` with these ids (one query per 1,000 ids)."""
        wanted = sorted({i for i in ids if i and (model, i) not in self._records})
        for part in chunks(wanted):
            statement = select(model).where(
                col(model.id).in_(part), col(model.deleted_at).is_(None)
            )
            for record in (await self.session.exec(statement)).all():
                self._records[(model, record.id)] = record
        # The scopes of what was found, decided once each (as visible_reference would).
        scopes = {getattr(r, "community_id", None) for r in self._records.values()}
        for community in sorted(s for s in scopes if s is not None):
            if community not in self._access:
                self._access[community] = await can_access(self.session, self.actor, community)

    def visible(self, model: type[Any], record_id: str, *loc: str | int) -> Any:
        """`visible_reference(session, actor, model, record_id, *loc)` after `load`."""
        record = self._records.get((model, record_id))
        node = getattr(record, "community_id", None)
        if record is None or node is None or not self._access.get(node, False):
            raise InvalidReference(*loc)
        return record

    def in_community(self, model: type[Any], record_id: str, *loc: str | int) -> Any:
        """`visible` and then the spec's `same_community` against the imported community."""
        record = self.visible(model, record_id, *loc)
        same_community(record, self.community_id, *loc)
        return record

    async def compound_ids_by_name(self, names: Iterable[str]) -> dict[str, list[str]]:
        """Live compounds of the imported community by name (a name may be used twice)."""
        found: dict[str, list[str]] = {}
        for part in chunks(sorted(set(names))):
            statement = select(Compound.id, Compound.name).where(
                Compound.community_id == self.community_id,
                col(Compound.name).in_(part),
                col(Compound.deleted_at).is_(None),
            )
            for compound_id, name in (await self.session.exec(statement)).all():
                found.setdefault(name, []).append(compound_id)
        return {name: sorted(ids) for name, ids in found.items()}
