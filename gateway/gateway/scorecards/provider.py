"""What a source of figures is: a service the gateway reads once per scorecard.

A provider fetches, in one fan-out (one list call, paging only if the service says there is
more), the raw figures of every community of a scope, and says which figures it feeds. The
source of the tree (the registry) also names the scope and its communities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from gateway.scorecards.figures import Figure
from gateway.scorecards.measures import Raw
from gateway.scorecards.upstream import UpstreamReader

ScopeKind = Literal["community", "street", "district"]


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    id: str


@dataclass(frozen=True)
class Community:
    id: str
    code: str
    name: str
    street_id: str
    street_code: str
    street_name: str
    district_id: str


@dataclass(frozen=True)
class Tree:
    """The scope as the registry names it, the day its figures hold for, its communities."""

    kind: ScopeKind
    id: str
    code: str
    name: str
    as_of: date
    communities: Sequence[Community]


@dataclass(frozen=True)
class Fetched:
    rows: Mapping[str, Raw]  # community id -> this source's raw figures
    tree: Tree | None = None  # only the tree's source fills it


class FigureProvider(Protocol):
    @property
    def source(self) -> str:
        """The upstream service name (a key of the gateway's routing table)."""
        ...

    @property
    def required(self) -> bool:
        """True: no scorecard without it (its failure is the scorecard's). False: the card
        is given without its figures, and `sources` says so."""
        ...

    @property
    def figures(self) -> Sequence[Figure]: ...

    async def fetch(self, reader: UpstreamReader, scope: Scope) -> Fetched: ...
