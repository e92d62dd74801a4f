"""The registry's figures (rules 1, 2, 3, 5, 6, 7 and a hint for 4) from its one-call
`/figures/communities` list. The gateway keeps its own copy of the shape it reads (only the
fields it needs), as every consumer of another service does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from gateway.scorecards.figures import Figure
from gateway.scorecards.measures import Between, Count, Flag, Raw, Share, field_value
from gateway.scorecards.provider import Community, Fetched, Scope, ScopeKind, Tree
from gateway.scorecards.upstream import UpstreamReader, upstream_trouble
from gateway.upstream_errors import UpstreamBadResponse

PATH = "/api/v1/figures/communities"
PAGE_SIZE = "1000"  # the registry's maximum: a district of 500 communities is one call


def _tested_on_time(raw: Raw) -> int:
    return int(raw["facilities"]) - int(raw["facilities_overdue"])


FIGURES: tuple[Figure, ...] = (
    Figure(
        1,
        "responsible_person_named",
        "已明确消防安全责任人（社区居委会主任）",
        "Fire-safety responsible person named (residents' committee head)",
        Flag("responsible_person_named"),
    ),
    Figure(
        1,
        "safety_managers",
        "配备1至2名专兼职消防管理人员",
        "1 to 2 full- or part-time fire-safety managers",
        Between("safety_managers", 1, 2),
    ),
    Figure(
        2,
        "fire_pact_adopted",
        "已制定居民防火公约",
        "Residents' fire-prevention pact adopted",
        Flag("fire_pact_adopted", details=("fire_pact_adopted_on",)),
    ),
    Figure(
        3,
        "station_coverage",
        "有物业服务的小区微型消防站覆盖率",
        "Micro fire station coverage of compounds with property service",
        Share(
            field_value("compounds_with_property_service_covered"),
            field_value("compounds_with_property_service"),
        ),
    ),
    Figure(
        4,
        "stations_with_two_members",
        "队员不少于2名的微型消防站占比（24小时值守提示）",
        "Micro fire stations with at least 2 members (a hint for 24-hour duty)",
        Share(field_value("stations_with_two_members"), field_value("stations")),
        scored=False,  # a precondition only: the duty roster will measure the shifts
    ),
    Figure(
        5,
        "facilities_tested_on_time",
        "建筑固定消防设施按期检测率",
        "Fixed fire facilities tested on schedule",
        Share(_tested_on_time, field_value("facilities")),
    ),
    Figure(
        5,
        "old_compounds_without_property_service",
        "无物业服务的老旧小区（由街道办事处或社区居委会维护）",
        "Old compounds without property service (maintained by the street office or "
        "residents' committee)",
        Count("old_compounds_without_property_service"),
        scored=False,
    ),
    Figure(
        6,
        "key_residents_with_smoke_alarm",
        "重点人群家庭安装独立式感烟火灾探测报警器比例",
        "Key residents' homes with a stand-alone smoke alarm",
        Share(field_value("key_residents_with_smoke_alarm"), field_value("key_residents")),
    ),
    Figure(
        7,
        "emergency_plan_present",
        "已制定灭火和应急预案",
        "Firefighting and emergency plan in place",
        Flag("emergency_plan_present", details=("emergency_plan_updated_on",)),
    ),
)


class _Scope(BaseModel):
    kind: ScopeKind
    id: str
    code: str
    name: str


class _Item(BaseModel):
    community_id: str
    code: str
    name: str
    street_id: str
    street_code: str
    street_name: str
    district_id: str
    responsible_person_named: bool
    safety_managers: int
    fire_pact_adopted: bool
    fire_pact_adopted_on: date | None
    emergency_plan_present: bool
    emergency_plan_updated_on: date | None
    compounds_with_property_service: int
    compounds_with_property_service_covered: int
    old_compounds_without_property_service: int
    stations: int
    stations_with_two_members: int
    facilities: int
    facilities_overdue: int
    key_residents: int
    key_residents_with_smoke_alarm: int


class _Page(BaseModel):
    scope: _Scope
    as_of: date
    items: list[_Item]


@dataclass(frozen=True)
class RegistryFigures:
    source: str = "registry"
    required: bool = True  # the tree comes from here
    figures: Sequence[Figure] = FIGURES

    async def fetch(self, reader: UpstreamReader, scope: Scope) -> Fetched:
        params = {f"{scope.kind}_id": scope.id, "limit": PAGE_SIZE}
        pages: list[_Page] = []
        async for body in reader.pages(self.source, PATH, params):
            pages.append(_parse(body))
        first = pages[0]
        items = [item for page in pages for item in page.items]
        communities = [
            Community(
                id=i.community_id,
                code=i.code,
                name=i.name,
                street_id=i.street_id,
                street_code=i.street_code,
                street_name=i.street_name,
                district_id=i.district_id,
            )
            for i in items
        ]
        tree = Tree(
            kind=first.scope.kind,
            id=first.scope.id,
            code=first.scope.code,
            name=first.scope.name,
            as_of=first.as_of,
            communities=communities,
        )
        rows: dict[str, dict[str, Any]] = {i.community_id: i.model_dump(mode="json") for i in items}
        return Fetched(rows=rows, tree=tree)


def _parse(body: dict[str, Any]) -> _Page:
    try:
        return _Page.model_validate(body)
    except ValidationError as exc:
        raise upstream_trouble(UpstreamBadResponse, "registry") from exc
