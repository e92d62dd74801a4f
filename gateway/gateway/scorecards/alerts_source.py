"""The alerts service's figures: unresolved alerts per community, by the kind of rule they
enforce, from its one-call `/alerts/figures` list. Information beside the registry's measured
figures (which already score the same facts), so none of them counts towards the score.
The gateway keeps its own copy of the shape it reads, as every consumer does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from gateway.scorecards.figures import Figure
from gateway.scorecards.measures import Count, Raw
from gateway.scorecards.provider import Fetched, Scope
from gateway.scorecards.upstream import UpstreamReader, upstream_trouble
from gateway.upstream_errors import UpstreamBadResponse

PATH = "/api/v1/alerts/figures"
PAGE_SIZE = "1000"
# alert kind -> (the DOMAIN.md rule it enforces, zh label, en label)
KINDS: dict[str, tuple[int, str, str]] = {
    "responsibility_gap": (1, "消防安全责任制未落实", "responsibility gaps"),
    "missing_fire_pact": (2, "未制定居民防火公约", "missing fire-prevention pact"),
    "station_coverage_gap": (3, "小区未被微型消防站覆盖", "compounds without a station"),
    "key_resident_unprotected": (6, "重点人群家中未装烟感", "key residents without a smoke alarm"),
}


def _figures() -> tuple[Figure, ...]:
    return tuple(
        Figure(
            rule,
            f"open_alerts_{kind}",
            f"未处置预警：{zh}",
            f"Unresolved alerts: {en}",
            Count(f"open_{kind}"),
            scored=False,
        )
        for kind, (rule, zh, en) in KINDS.items()
    )


class _Item(BaseModel):
    community_id: str
    open: int
    open_critical: int
    escalated: int
    open_by_kind: dict[str, int]


class _Page(BaseModel):
    items: list[_Item]


def _raw(item: _Item) -> Raw:
    row: dict[str, Any] = {f"open_{kind}": item.open_by_kind.get(kind, 0) for kind in KINDS}
    return row


@dataclass(frozen=True)
class AlertsFigures:
    source: str = "alerts"
    required: bool = False  # a scorecard is still given while alerts is away
    figures: Sequence[Figure] = _figures()

    async def fetch(self, reader: UpstreamReader, scope: Scope) -> Fetched:
        params = {f"{scope.kind}_id": scope.id, "limit": PAGE_SIZE}
        rows: dict[str, Raw] = {}
        async for body in reader.pages(self.source, PATH, params):
            try:
                page = _Page.model_validate(body)
            except ValidationError as exc:
                raise upstream_trouble(UpstreamBadResponse, self.source) from exc
            rows.update((item.community_id, _raw(item)) for item in page.items)
        return Fetched(rows=rows)
