"""A small demo district, loaded when an embedded registry starts empty.

When: the registry has no districts at all (live or deleted), `FIRESAFE_ENV` is not `prod`, and
`FIRESAFE_DEMO_DATA` allows it — unset means "on SQLite only" (the embedded instance); `0`,
`false`, `no` or `off` never; `1`, `true`, `yes` or `on` also on PostgreSQL.

How: every record goes through the same rules as the API — its spec's create schema, its
`prepare` hook and `record_event` — in one transaction, as a `city_admin` system actor. So the
demo data publish their `created` events and fill the jurisdiction tree like any other data.
Station members follow the `/stations/{id}/members` route (schema, record, `member.added` event).

What (after the fire-safe community plan of 城区, with 义井镇 and a street office): 1 district,
2 streets/towns, 4 communities — one without a fire-prevention pact, one whose responsible person
is still pending — grids with workers, compounds with and without property service (old ones
without fixed facilities), buildings, 3 micro fire stations with a head and members (one
property-service compound left uncovered: a visible coverage gap), facilities with test dates
(one overdue), key residents of each category with and without smoke alarms, and premises of
every kind. Names, phone numbers and identity numbers are invented; the division codes are
well-formed (GB/T 2260 shape) but illustrative, not official.
"""

from __future__ import annotations

import logging
import os
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import text
from sqlmodel import select

from firesafe_kit.auth.actor import CITY, Actor
from firesafe_kit.crud.records import Record
from firesafe_kit.crud.router import record_event
from firesafe_kit.crud.spec import ResourceSpec, WriteContext
from firesafe_kit.runtime import ServiceRuntime
from firesafe_kit.settings import KitSettings
from registry.models import District, StationMember
from registry.resources.facilities import FACILITIES
from registry.resources.key_residents import KEY_RESIDENTS
from registry.resources.places import BUILDINGS, COMPOUNDS, PREMISES
from registry.resources.stations import STATIONS
from registry.resources.tree import COMMUNITIES, DISTRICTS, GRIDS, STREETS
from registry.routers.station_members import member_event
from registry.schemas.stations import MemberCreate
from registry.validators import make_id_number

log = logging.getLogger(__name__)

DEMO_ENV: Final = "FIRESAFE_DEMO_DATA"
SYSTEM_ACTOR: Final = Actor(
    sub="system:demo",
    name="演示数据",
    roles=frozenset({"city_admin"}),
    jurisdiction=(CITY,),
    via="system",
)
# Two instances starting at once on PostgreSQL: one loads, the other then sees a district.
_LOCK_KEY: Final = 0x_F1DE_DE30
_ON: Final = frozenset({"1", "true", "yes", "on"})
_OFF: Final = frozenset({"0", "false", "no", "off"})
REGION: Final = "140302"  # the district code, also the region part of the demo id numbers


def demo_wanted(settings: KitSettings) -> bool:
    if settings.env == "prod":
        return False
    choice = os.environ.get(DEMO_ENV, "").strip().lower()
    if choice in _OFF:
        return False
    if choice in _ON:
        return True
    if choice:
        log.warning("%s=%r is neither on nor off; using the default", DEMO_ENV, choice)
    return settings.is_sqlite


async def load_demo_if_empty(runtime: ServiceRuntime) -> None:
    """`on_started` hook: load the demo district into an empty registry (see module doc)."""
    if not demo_wanted(runtime.settings):
        return
    async with runtime.db.transaction() as session:
        if runtime.db.dialect == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        if (await session.exec(select(District.id).limit(1))).first() is not None:
            return
        context = WriteContext(session=session, actor=SYSTEM_ACTOR, outbox=runtime.outbox)
        counts = await DemoLoader(context).load()
    log.info("demo district loaded", extra={"records": counts})


class DemoLoader:
    def __init__(self, context: WriteContext) -> None:
        self.context = context
        self.today = date.today()
        self.counts: dict[str, int] = {}
        self._ids = 0

    async def create(self, spec: ResourceSpec, **body: Any) -> Any:
        """What `POST /api/v1/<spec.path>` does, minus HTTP."""
        data = spec.create.model_validate(body)
        values = await spec.prepare(self.context, data, None)
        record: Record = spec.model(**values)
        self.context.session.add(record)
        await self.context.session.flush()
        await record_event(self.context, spec, record, "created")
        self.counts[spec.name] = self.counts.get(spec.name, 0) + 1
        return record

    async def member(self, station: Any, **body: Any) -> StationMember:
        """What `POST /api/v1/stations/{id}/members` does (one head per station here)."""
        data = MemberCreate.model_validate(body)
        member = StationMember(
            station_id=station.id, community_id=station.community_id, **data.model_dump()
        )
        session = self.context.session
        session.add(member)
        await session.flush()
        await self.context.outbox.publish(
            session,
            type=f"{self.context.outbox.source_prefix}.station.member.added",
            subject=member.id,
            data=member_event(member),
            partition_key=member.community_id,
        )
        self.counts["station_member"] = self.counts.get("station_member", 0) + 1
        return member

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def id_number(self, birth: date) -> str:
        self._ids += 1
        return make_id_number(REGION, birth, f"{self._ids * 2 + 1:03d}")

    # --- the tree -------------------------------------------------------------------------

    async def load(self) -> dict[str, int]:
        district = await self.create(DISTRICTS, code=REGION, name="城区")
        beidajie = await self.create(
            STREETS, district_id=district.id, code=f"{REGION}003", name="北大街街道", kind="street"
        )
        yijing = await self.create(
            STREETS, district_id=district.id, code=f"{REGION}100", name="义井镇", kind="town"
        )
        await self.taolingou(beidajie)
        await self.beidajie(beidajie)
        await self.yijing(yijing)
        await self.nanzhuang(yijing)
        return self.counts

    async def community(self, street: Any, code: str, name: str, **extra: Any) -> Any:
        return await self.create(
            COMMUNITIES, street_id=street.id, code=f"{street.code}{code}", name=name, **extra
        )

    async def grid(self, community: Any, name: str, *workers: tuple[str, str]) -> Any:
        people = [{"name": n, "phone": p} for n, p in workers]
        return await self.create(GRIDS, community_id=community.id, name=name, workers=people)

    async def compound(self, community: Any, grid: Any, name: str, **body: Any) -> Any:
        return await self.create(
            COMPOUNDS, community_id=community.id, grid_id=grid.id, name=name, **body
        )

    async def buildings(self, compound: Any, count: int, floors: int, households: int) -> list[Any]:
        return [
            await self.create(
                BUILDINGS,
                compound_id=compound.id,
                name=f"{n}号楼",
                floors=floors,
                height_m=round(floors * 2.9, 1),
                households=households,
            )
            for n in range(1, count + 1)
        ]

    async def station(
        self, community: Any, name: str, phone: str, compounds: list[Any], staff: list[Any]
    ) -> Any:
        station = await self.create(
            STATIONS,
            community_id=community.id,
            name=name,
            phone=phone,
            compound_ids=[c.id for c in compounds],
            equipment=[
                {"name": "手提式干粉灭火器", "quantity": 12},
                {"name": "消防水带", "quantity": 4},
                {"name": "正压式空气呼吸器", "quantity": 2},
                {"name": "强光手电", "quantity": 6},
            ],
        )
        for role, member_name, phone_number, employment, trained_days_ago in staff:
            await self.member(
                station,
                name=member_name,
                phone=phone_number,
                role=role,
                employment=employment,
                trained_on=self.days_ago(trained_days_ago),
            )
        return station

    async def facility(
        self, compound: Any, kind: str, maintainer: tuple[str, str], **body: Any
    ) -> Any:
        party, maintainer_name = maintainer
        return await self.create(
            FACILITIES,
            compound_id=compound.id,
            kind=kind,
            maintained_by={"party": party, "name": maintainer_name},
            **body,
        )

    async def resident(
        self,
        community: Any,
        building: Any | None,
        category: str,
        name: str,
        birth: date,
        address: str,
        devices: dict[str, int],
        **body: Any,
    ) -> Any:
        return await self.create(
            KEY_RESIDENTS,
            community_id=community.id,
            building_id=building.id if building else None,
            category=category,
            name=name,
            id_number=self.id_number(birth),
            address=address,
            devices=[{"kind": k, "installed_on": self.days_ago(d)} for k, d in devices.items()],
            **body,
        )

    async def premise(self, community: Any, kind: str, name: str, address: str, **body: Any) -> Any:
        return await self.create(
            PREMISES, community_id=community.id, kind=kind, name=name, address=address, **body
        )

    # --- 北大街街道 · 桃林沟社区: the model community -------------------------------------------

    async def taolingou(self, street: Any) -> None:
        community = await self.community(
            street,
            "001",
            "桃林沟社区",
            responsible_person={"name": "王桂兰", "phone": "13903530101"},
            safety_managers=[
                {"name": "刘建军", "phone": "13903530102", "employment": "full_time"},
                {"name": "赵丽娟", "phone": "13903530103", "employment": "part_time"},
            ],
            fire_pact={"adopted_on": self.days_ago(400)},
            emergency_plan={"updated_on": self.days_ago(90)},
        )
        east = await self.grid(community, "第一网格", ("孙志强", "13903530111"))
        west = await self.grid(
            community, "第二网格", ("周美玲", "13903530112"), ("吴海涛", "13903530113")
        )
        taoyuan = await self.compound(
            community,
            east,
            "桃园小区",
            address="城区桃北东街18号",
            has_property_service=True,
            property_company="阳泉市安居物业服务有限公司",
            has_fixed_facilities=True,
            is_old=False,
            households=480,
        )
        linxi = await self.compound(
            community,
            west,
            "林溪花园",
            address="城区桃林沟路6号",
            has_property_service=True,
            property_company="恒安物业管理有限公司",
            has_fixed_facilities=True,
            is_old=False,
            households=360,
        )
        dorm = await self.compound(
            community,
            west,
            "桃林沟老宿舍",
            address="城区桃林沟路22号",
            has_property_service=False,
            has_fixed_facilities=False,
            is_old=True,
            households=96,
        )
        taoyuan_buildings = await self.buildings(taoyuan, 3, 18, 72)
        linxi_buildings = await self.buildings(linxi, 2, 11, 44)
        dorm_buildings = await self.buildings(dorm, 2, 5, 30)
        await self.station(
            community,
            "桃林沟社区微型消防站",
            "0353-2041119",
            [taoyuan, linxi],
            [
                ("head", "刘建军", "13903530102", "full_time", 200),
                ("member", "马晓东", "13903530121", "full_time", 200),
                ("member", "韩立新", "13903530122", "part_time", 150),
                ("member", "郭红梅", "13903530123", "part_time", 60),
            ],
        )
        agency = "山西安信消防检测有限公司"
        company = ("property_company", "阳泉市安居物业服务有限公司")
        await self.facility(
            taoyuan,
            "fire_hydrant",
            company,
            testing_agency=agency,
            last_tested_on=self.days_ago(120),
            next_test_due=self.days_ago(120) + timedelta(days=365),
        )
        await self.facility(
            taoyuan,
            "automatic_sprinkler",
            company,
            building_id=taoyuan_buildings[0].id,
            testing_agency=agency,
            last_tested_on=self.days_ago(200),
            next_test_due=self.days_ago(200) + timedelta(days=365),
        )
        await self.facility(
            linxi,
            "fire_alarm",
            ("property_company", "恒安物业管理有限公司"),
            building_id=linxi_buildings[1].id,
            testing_agency=agency,
            last_tested_on=self.days_ago(395),
            next_test_due=self.days_ago(30),  # overdue: the alerts service flags it
        )
        await self.facility(dorm, "extinguisher", ("residents_committee", "桃林沟社区居委会"))
        await self.resident(
            community,
            dorm_buildings[0],
            "elderly_alone",
            "李秀英",
            date(1941, 3, 12),
            "城区桃林沟路22号1号楼2单元101",
            {"smoke_alarm": 180, "extinguisher": 180},
            phone="13903530131",
            contact_person={"name": "李卫东", "phone": "13903530132", "relation": "儿子"},
        )
        await self.resident(
            community,
            taoyuan_buildings[2],
            "left_behind_child",
            "张小雨",
            date(2015, 9, 3),
            "城区桃北东街18号3号楼1单元502",
            {"smoke_alarm": 40},
            contact_person={"name": "张桂芝", "phone": "13903530133", "relation": "祖母"},
        )
        await self.resident(
            community,
            dorm_buildings[1],
            "disabled",
            "陈国平",
            date(1968, 11, 20),
            "城区桃林沟路22号2号楼1单元302",
            {"simple_sprinkler": 75, "smoke_alarm": 75},
            phone="13903530134",
        )
        await self.premise(
            community,
            "ebike_shed",
            "桃园小区电动自行车棚",
            "城区桃北东街18号院内",
            operator={"name": "阳泉市安居物业服务有限公司", "phone": "0353-2041120"},
        )

    # --- 北大街街道 · 北大街社区: no fire-prevention pact yet, one compound uncovered --------

    async def beidajie(self, street: Any) -> None:
        community = await self.community(
            street,
            "002",
            "北大街社区",
            responsible_person={"name": "杨志刚", "phone": "13903530201"},
            safety_managers=[{"name": "高雅琴", "phone": "13903530202", "employment": "part_time"}],
            emergency_plan={"updated_on": self.days_ago(300)},
        )
        grid = await self.grid(community, "北大街网格", ("冯建华", "13903530211"))
        yard = await self.compound(
            community,
            grid,
            "北大街1号院",
            address="城区北大街1号",
            has_property_service=True,
            property_company="金盾物业服务有限公司",
            has_fixed_facilities=True,
            is_old=False,
            households=220,
        )
        xinhua = await self.compound(
            community,
            grid,
            "新华苑",
            address="城区新华街9号",
            has_property_service=True,
            property_company="新华物业管理有限公司",
            has_fixed_facilities=True,
            is_old=False,
            households=300,
        )
        family = await self.compound(
            community,
            grid,
            "百货公司家属院",
            address="城区北大街35号",
            has_property_service=False,
            has_fixed_facilities=False,
            is_old=True,
            households=64,
        )
        await self.buildings(yard, 2, 12, 48)
        xinhua_buildings = await self.buildings(xinhua, 2, 16, 64)
        family_buildings = await self.buildings(family, 1, 6, 36)
        # 新华苑 has property service but no station covers it: the coverage gap of rule 3.
        await self.station(
            community,
            "北大街社区微型消防站",
            "0353-2041219",
            [yard],
            [
                ("head", "潘志勇", "13903530221", "full_time", 300),
                ("member", "邓晓峰", "13903530222", "part_time", 100),
                ("member", "许丽华", "13903530223", "part_time", 100),
            ],
        )
        await self.facility(
            xinhua,
            "fire_hydrant",
            ("property_company", "新华物业管理有限公司"),
            testing_agency="阳泉市众安消防技术服务有限公司",
            last_tested_on=self.days_ago(60),
            next_test_due=self.days_ago(60) + timedelta(days=365),
        )
        await self.resident(
            community,
            family_buildings[0],
            "elderly_alone",
            "刘福生",
            date(1938, 6, 1),
            "城区北大街35号1号楼3单元201",
            {},  # no smoke alarm yet: the alerts service flags it
            phone="13903530231",
        )
        await self.resident(
            community,
            xinhua_buildings[0],
            "left_behind_child",
            "王子涵",
            date(2014, 4, 18),
            "城区新华街9号1号楼2单元1103",
            {"extinguisher": 20},
            contact_person={"name": "王玉珍", "phone": "13903530232", "relation": "外祖母"},
        )
        await self.premise(
            community,
            "three_in_one",
            "北大街副食加工店",
            "城区北大街41号",
            operator={"name": "赵永福", "phone": "13903530241"},
            notes="一层经营、二层住人，已督促分隔",
        )
        await self.premise(
            community,
            "rental_housing",
            "百货公司家属院出租屋",
            "城区北大街35号1号楼1单元102",
            operator={"name": "钱玉凤", "phone": "13903530242"},
        )

    # --- 义井镇 · 义井社区: responsible person still pending -------------------------------

    async def yijing(self, town: Any) -> None:
        community = await self.community(
            town,
            "001",
            "义井社区",
            safety_managers=[
                {"name": "贾文斌", "phone": "13903530301", "employment": "full_time"},
            ],
            fire_pact={"adopted_on": self.days_ago(150)},
        )
        north = await self.grid(community, "义井一网格", ("白雪梅", "13903530311"))
        south = await self.grid(community, "义井二网格", ("曹军", "13903530312"))
        xincun = await self.compound(
            community,
            north,
            "义井新村",
            address="城区义井镇义井新村8号",
            has_property_service=True,
            property_company="义安物业服务有限公司",
            has_fixed_facilities=True,
            is_old=False,
            households=540,
        )
        old_street = await self.compound(
            community,
            south,
            "义井老街片区",
            address="城区义井镇老街",
            has_property_service=False,
            has_fixed_facilities=False,
            is_old=True,
            households=150,
        )
        xincun_buildings = await self.buildings(xincun, 3, 11, 66)
        await self.buildings(old_street, 2, 3, 18)
        await self.station(
            community,
            "义井社区微型消防站",
            "0353-2051119",
            [xincun],
            [
                ("head", "贾文斌", "13903530301", "full_time", 250),
                ("member", "石磊", "13903530321", "full_time", 250),
                ("member", "牛建平", "13903530322", "part_time", 30),
            ],
        )
        await self.facility(
            xincun,
            "smoke_exhaust",
            ("property_company", "义安物业服务有限公司"),
            building_id=xincun_buildings[0].id,
            testing_agency="山西安信消防检测有限公司",
            last_tested_on=self.days_ago(100),
            next_test_due=self.days_ago(100) + timedelta(days=365),
        )
        await self.facility(
            old_street, "extinguisher", ("street_office", "义井镇人民政府"), status="faulty"
        )
        await self.resident(
            community,
            None,
            "disabled",
            "段玉梅",
            date(1975, 2, 27),
            "城区义井镇老街17号",
            {},
            phone="13903530331",
            contact_person={"name": "段志明", "phone": "13903530332", "relation": "丈夫"},
        )
        await self.resident(
            community,
            xincun_buildings[1],
            "elderly_alone",
            "郝春兰",
            date(1946, 12, 8),
            "城区义井镇义井新村8号2号楼1单元301",
            {"smoke_alarm": 300},
        )
        await self.premise(
            community,
            "many_in_one",
            "义井老街综合商店",
            "城区义井镇老街5号",
            operator={"name": "田小军", "phone": "13903530341"},
            notes="经营、仓储、住宿混合，月度排查重点",
        )
        await self.premise(
            community,
            "ebike_charging",
            "义井新村集中充电点",
            "城区义井镇义井新村8号南门",
            operator={"name": "义安物业服务有限公司", "phone": "0353-2051120"},
        )

    # --- 义井镇 · 南庄社区: old housing only, no property service, no station ------------------

    async def nanzhuang(self, town: Any) -> None:
        community = await self.community(
            town,
            "002",
            "南庄社区",
            responsible_person={"name": "侯建英", "phone": "13903530401"},
            safety_managers=[
                {"name": "任海燕", "phone": "13903530402", "employment": "part_time"},
                {"name": "薛勇", "phone": "13903530403", "employment": "part_time"},
            ],
            fire_pact={"adopted_on": self.days_ago(30)},
        )
        grid = await self.grid(community, "南庄网格", ("任海燕", "13903530402"))
        houses = await self.compound(
            community,
            grid,
            "南庄住宅区",
            address="城区义井镇南庄村",
            has_property_service=False,
            has_fixed_facilities=False,
            is_old=True,
            households=210,
        )
        [house] = await self.buildings(houses, 1, 4, 24)
        await self.resident(
            community,
            house,
            "left_behind_child",
            "侯佳怡",
            date(2016, 7, 30),
            "城区义井镇南庄村1号楼2单元402",
            {},
            contact_person={"name": "侯文秀", "phone": "13903530431", "relation": "祖母"},
        )
        await self.premise(
            community,
            "rental_housing",
            "南庄村出租院落",
            "城区义井镇南庄村47号",
            operator={"name": "薛满仓", "phone": "13903530441"},
        )
