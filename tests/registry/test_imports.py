"""CSV imports: every row checked like a POST of its resource, all rows or none, one event per
created record, every bad row named by its line in the file."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import col, select

from firesafe_kit.events.envelope import CloudEvent
from registry.models import Compound
from registry.validators import make_id_number
from tests.registry.conftest import RegistryHarness, created
from tests.support.events import read_topic

CSV = "text/csv; charset=utf-8"


async def post_csv(
    client: httpx.AsyncClient,
    community_id: str,
    kind: str,
    text: str,
    *,
    bom: bool = False,
    content_type: str = CSV,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
    return await client.post(
        "/api/v1/imports",
        params={"community_id": community_id, "kind": kind},
        content=body,
        headers={"Content-Type": content_type, **(headers or {})},
    )


async def listed(client: httpx.AsyncClient, path: str, community_id: str) -> list[dict[str, Any]]:
    response = await client.get(path, params={"community_id": community_id, "limit": 200})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def events_of(
    registry: RegistryHarness, community_id: str, event_type: str, expected: int
) -> list[CloudEvent]:
    """The topic read until `expected` events of this type about this community arrived."""

    def matching(seen: list[Any]) -> list[CloudEvent]:
        events = [CloudEvent.from_message(m) for m in seen if m.header("ce_type") == event_type]
        return [e for e in events if e.data.get("community_id") == community_id]

    messages = await read_topic(
        registry.runtime.broker,
        registry.runtime.topic,
        until=lambda seen: len(matching(seen)) >= expected,
        timeout=60,
    )
    return matching(messages)


def locs(response: httpx.Response) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["errors"]]


async def test_a_compounds_file_with_bom_and_chinese_headers_creates_every_row_with_its_event(
    registry: RegistryHarness,
) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    grid = await created(
        admin.post("/api/v1/grids", json={"community_id": tree.community_id, "name": "第一网格"})
    )
    text = (
        "名称,地址,是否有物业,物业公司,是否有固定消防设施,是否老旧小区,户数,grid_id\r\n"
        f"桃园小区,桃北东街18号,是,安居物业,是,否,480,{grid['id']}\r\n"
        "桃林沟老宿舍,桃林沟路22号,否,,否,是,96,\r\n"
        "林溪花园, 桃林沟路6号 ,yes,恒安物业,TRUE,0,360,\r\n"
    )
    response = await post_csv(admin, tree.community_id, "compounds", text, bom=True)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "compounds" and body["community_id"] == tree.community_id
    assert body["created"] == 3 and len(set(body["ids"])) == 3

    rows = {c["name"]: c for c in await listed(admin, "/api/v1/compounds", tree.community_id)}
    assert set(rows) == {"桃园小区", "桃林沟老宿舍", "林溪花园"}
    assert {rows[name]["id"] for name in rows} == set(body["ids"])
    assert rows["桃园小区"] | {"grid_id": grid["id"]} == rows["桃园小区"]
    assert (rows["桃园小区"]["has_property_service"], rows["桃园小区"]["is_old"]) == (True, False)
    assert rows["桃园小区"]["property_company"] == "安居物业"
    assert rows["桃林沟老宿舍"]["has_property_service"] is False
    assert rows["桃林沟老宿舍"]["property_company"] is None
    assert rows["桃林沟老宿舍"]["has_fixed_facilities"] is False
    assert rows["桃林沟老宿舍"]["is_old"] is True and rows["桃林沟老宿舍"]["households"] == 96
    assert rows["林溪花园"]["address"] == "桃林沟路6号" and rows["林溪花园"]["is_old"] is False

    events = await events_of(
        registry, tree.community_id, "firesafe.registry.compound.created", expected=3
    )
    assert sorted(e.subject for e in events) == sorted(body["ids"])
    assert {e.data["name"] for e in events} == {"桃园小区", "桃林沟老宿舍", "林溪花园"}


async def test_bad_rows_are_all_listed_by_file_line_and_nothing_is_written(
    registry: RegistryHarness,
) -> None:
    tree, other = await registry.tree(), await registry.tree()
    admin = await registry.admin()
    foreign_compound = await registry.compound(other.community_id)
    foreign_building = await created(
        admin.post(
            "/api/v1/buildings",
            json={
                "compound_id": foreign_compound["id"],
                "name": "1号楼",
                "floors": 6,
                "households": 24,
            },
        )
    )
    text = (
        "category,name,phone,address,building_id\n"  # line 1
        "elderly_alone,王大爷,13900000001,幸福小区1号楼101,\n"  # 2: good
        "left_behind_child,李小明,12345,幸福小区2号楼201,\n"  # 3: bad phone
        "独居老人,李奶奶,,幸福小区3号楼301,\n"  # 4: unknown category
        'disabled,赵叔,,"幸福小区\n4号楼401",\n'  # 5-6: good, a cell over two lines
        "\n"  # 7: blank, not a row
        f"disabled,钱姨,,幸福小区5号楼501,{foreign_building['id']}\n"  # 8: another community's
    )
    response = await post_csv(admin, tree.community_id, "key_residents", text)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "import_rejected"
    assert locs(response) == [
        ["body", 3, "phone"],
        ["body", 4, "category"],
        ["body", 8, "building_id"],
    ]
    errors = problem["errors"]
    assert errors[0]["type"] == "phone_number"
    assert errors[1]["type"] == "literal_error"
    assert errors[2] == {
        "loc": ["body", 8, "building_id"],
        "msg": "belongs to another community",
        "type": "reference",
    }
    assert "12345" not in response.text  # no personal data echoed

    assert await listed(admin, "/api/v1/key-residents", tree.community_id) == []

    # Nothing was published either: a later import's event arrives alone (the relay publishes
    # a community's events in order, so an earlier one would have come first).
    marker = await post_csv(
        admin, tree.community_id, "key_residents", "类别,姓名,地址\n残障人士,孙阿姨,幸福小区6号楼\n"
    )
    assert marker.status_code == 201, marker.text
    events = await events_of(
        registry, tree.community_id, "firesafe.registry.key_resident.created", expected=1
    )
    assert [e.subject for e in events] == marker.json()["ids"]


async def test_key_residents_import_with_contacts_devices_and_category_names(
    registry: RegistryHarness,
) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    compound = await registry.compound(tree.community_id, name="桃林沟老宿舍")
    building = await created(
        admin.post(
            "/api/v1/buildings",
            json={"compound_id": compound["id"], "name": "1号楼", "floors": 5, "households": 30},
        )
    )
    id_number = make_id_number("140302", date(1941, 3, 12), "013")
    text = (
        "类别,姓名,电话,身份证号,地址,building_id,contact_name,contact_phone,contact_relation,"
        "smoke_alarm_installed_on,extinguisher_installed_on\n"
        f"孤寡老人,李秀英,139 0353 0131,{id_number},桃林沟路22号1号楼2单元101,{building['id']},"
        "李卫东,13903530132,儿子,2025/3/1,\n"
        "留守儿童,张小雨,,,桃北东街18号3号楼502,,张桂芝,13903530133,祖母,2025-04-01,2025-04-01\n"
        "残障人士,陈国平,0353-2041119,,桃林沟路22号2号楼302,,,,,,\n"
    )
    response = await post_csv(admin, tree.community_id, "key_residents", text)
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 3

    rows = {r["name"]: r for r in await listed(admin, "/api/v1/key-residents", tree.community_id)}
    assert {name: r["category"] for name, r in rows.items()} == {
        "李秀英": "elderly_alone",
        "张小雨": "left_behind_child",
        "陈国平": "disabled",
    }
    elder = rows["李秀英"]
    assert elder["masked"] is False and elder["id_number"] == id_number
    assert elder["phone"] == "13903530131" and elder["building_id"] == building["id"]
    assert elder["contact_person"] == {"name": "李卫东", "phone": "13903530132", "relation": "儿子"}
    assert elder["devices"] == [{"kind": "smoke_alarm", "installed_on": "2025-03-01"}]
    assert [d["kind"] for d in rows["张小雨"]["devices"]] == ["smoke_alarm", "extinguisher"]
    assert rows["陈国平"]["devices"] == [] and rows["陈国平"]["contact_person"] is None

    viewer = await registry.client("viewer", "city")
    shown = await listed(viewer, "/api/v1/key-residents", tree.community_id)
    assert {r["masked"] for r in shown} == {True}
    assert {r["name"] for r in shown} == {"李**", "张**", "陈**"}

    created_events = await events_of(
        registry, tree.community_id, "firesafe.registry.key_resident.created", expected=3
    )
    assert sorted(e.subject for e in created_events) == sorted(response.json()["ids"])
    assert not any("李秀英" in str(e.data) or id_number in str(e.data) for e in created_events)
    devices = await events_of(
        registry, tree.community_id, "firesafe.registry.key_resident.device.installed", expected=3
    )
    assert sorted(e.data["kind"] for e in devices) == ["extinguisher", "smoke_alarm", "smoke_alarm"]


async def test_stations_import_names_the_compounds_it_covers(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    taoyuan = await registry.compound(tree.community_id, name="桃园小区")
    linxi = await registry.compound(tree.community_id, name="林溪花园")
    xinhua = await registry.compound(tree.community_id, name="新华苑")
    text = (
        "名称,电话,覆盖小区,compound_ids\n"
        "桃林沟社区微型消防站,0353-2041119,桃园小区;林溪花园,\n"
        f"新华苑微型消防站,,新华苑,{taoyuan['id']}\n"
    )
    response = await post_csv(admin, tree.community_id, "stations", text)
    assert response.status_code == 201, response.text
    stations = {s["name"]: s for s in await listed(admin, "/api/v1/stations", tree.community_id)}
    assert stations["桃林沟社区微型消防站"]["compound_ids"] == [taoyuan["id"], linxi["id"]]
    assert stations["桃林沟社区微型消防站"]["phone"] == "0353-2041119"
    assert stations["新华苑微型消防站"]["compound_ids"] == [taoyuan["id"], xinhua["id"]]
    events = await events_of(
        registry, tree.community_id, "firesafe.registry.station.created", expected=2
    )
    assert sorted(e.subject for e in events) == sorted(response.json()["ids"])

    # A station is a jurisdiction node at once (the spec's after_write ran): a member scoped
    # to the station reads its community.
    member = await registry.client("station_member", f"station:{response.json()['ids'][0]}")
    assert (await member.get(f"/api/v1/communities/{tree.community_id}")).status_code == 200

    other = await registry.tree()
    foreign = await registry.compound(other.community_id, name="外社区小区")
    bad = (
        "name,compound_names,compound_ids\n"
        "一站,桃园小区|不存在的小区,\n"  # unknown name
        f"二站,,{foreign['id']}\n"  # another community's compound
        f"三站,桃园小区,{taoyuan['id']}\n"  # the same compound twice
    )
    rejected = await post_csv(admin, tree.community_id, "stations", bad)
    assert rejected.status_code == 422, rejected.text
    assert locs(rejected) == [
        ["body", 2, "compound_names"],
        ["body", 3, "compound_ids"],
        ["body", 4, "compound_ids"],
    ]
    assert len(await listed(admin, "/api/v1/stations", tree.community_id)) == 2


async def test_buildings_reference_compounds_of_the_community_by_id_or_name(
    registry: RegistryHarness,
) -> None:
    tree, other = await registry.tree(), await registry.tree()
    admin = await registry.admin()
    taoyuan = await registry.compound(tree.community_id, name="桃园小区")
    foreign = await registry.compound(other.community_id, name="桃园小区")
    bad = (
        "compound_id,小区名称,名称,层数,户数\n"
        ",不存在小区,1号楼,6,24\n"
        f"{foreign['id']},,2号楼,6,24\n"
        f"{taoyuan['id']},,3号楼,0,24\n"
        f"{taoyuan['id']},桃园小区,4号楼,6,24\n"
    )
    rejected = await post_csv(admin, tree.community_id, "buildings", bad)
    assert rejected.status_code == 422, rejected.text
    assert locs(rejected) == [
        ["body", 2, "compound_name"],
        ["body", 3, "compound_id"],
        ["body", 4, "floors"],
        ["body", 5, "compound_name"],
    ]
    good = f"compound_id,小区名称,名称,层数,户数,height_m\n,桃园小区,1号楼,18,72,52.2\n{taoyuan['id']},,2号楼,11,44,\n"
    response = await post_csv(admin, tree.community_id, "buildings", good)
    assert response.status_code == 201, response.text
    buildings = await listed(admin, "/api/v1/buildings", tree.community_id)
    assert {(b["name"], b["compound_id"], b["community_id"]) for b in buildings} == {
        ("1号楼", taoyuan["id"], tree.community_id),
        ("2号楼", taoyuan["id"], tree.community_id),
    }


async def test_the_header_must_fit_the_kind(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    response = await post_csv(
        admin, tree.community_id, "compounds", "名称,地址,颜色,名称\n小区,路1号,红,小区\n"
    )
    assert response.status_code == 422
    assert locs(response) == [
        ["body", 1, "颜色"],
        ["body", 1, "name"],
        ["body", 1, "has_property_service"],
        ["body", 1, "has_fixed_facilities"],
        ["body", 1, "is_old"],
        ["body", 1, "households"],
    ]
    empty = await post_csv(admin, tree.community_id, "compounds", "")
    assert empty.status_code == 422 and empty.json()["code"] == "import_bad_file"


async def test_only_csv_in_utf8_is_accepted(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    url = f"/api/v1/imports?community_id={tree.community_id}&kind=compounds"
    as_json = await admin.post(url, json={"name": "小区"})
    assert as_json.status_code == 415
    assert as_json.headers["content-type"].startswith("application/problem+json")
    assert as_json.json()["code"] == "import_not_csv"
    for content_type in ("text/plain", "text/csv; charset=gbk"):
        response = await post_csv(
            admin, tree.community_id, "compounds", "name\n", content_type=content_type
        )
        assert response.status_code == 415, content_type

    header = "name,address,has_property_service,has_fixed_facilities,is_old,households\n"
    gbk = (
        header.encode()
        + "甲小区,幸福路1号,否,否,是,10\n".encode()
        + "乙小区,幸福路2号,否,否,是,10\n".encode("gbk")
    )
    response = await admin.post(url, content=gbk, headers={"Content-Type": "text/csv"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "import_not_utf8"
    assert problem["errors"][0]["loc"] == ["body", 3]
    assert "UTF-8" in problem["detail"] and "3" in problem["detail"]


async def test_the_community_must_be_visible_and_the_role_allowed_to_create(
    registry: RegistryHarness,
) -> None:
    mine, theirs = await registry.tree(), await registry.tree()
    text = "名称,地址,是否有物业,是否有固定消防设施,是否老旧小区,户数\n小区,幸福路1号,否,否,是,10\n"
    staff = await registry.client("community_staff", f"community:{mine.community_id}")
    invisible = await post_csv(staff, theirs.community_id, "compounds", text)
    assert invisible.status_code == 404 and invisible.json()["code"] == "not_found"
    unknown = await post_csv(staff, str(uuid.uuid4()), "compounds", text)
    assert unknown.status_code == 404

    viewer = await registry.client("viewer", "city")
    forbidden = await post_csv(viewer, mine.community_id, "compounds", text)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden_role"

    admin = await registry.admin()
    assert await listed(admin, "/api/v1/compounds", theirs.community_id) == []
    assert await listed(admin, "/api/v1/compounds", mine.community_id) == []
    allowed = await post_csv(staff, mine.community_id, "compounds", text)
    assert allowed.status_code == 201, allowed.text


async def test_a_replayed_idempotency_key_imports_once(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    text = "名称,地址,是否有物业,是否有固定消防设施,是否老旧小区,户数\n小区,幸福路1号,否,否,是,10\n"
    key = {"Idempotency-Key": f"import-{uuid.uuid4()}"}
    first = await post_csv(admin, tree.community_id, "compounds", text, headers=key)
    again = await post_csv(admin, tree.community_id, "compounds", text, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len(await listed(admin, "/api/v1/compounds", tree.community_id)) == 1


async def test_more_than_20000_rows_are_refused(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    text = "name\n" + "小区\n" * 20_001
    response = await post_csv(admin, tree.community_id, "compounds", text)
    assert response.status_code == 413
    assert (
        response.json()["code"] == "import_too_many_rows" and "20000" in response.json()["detail"]
    )


async def test_a_5000_row_compounds_file_is_imported(registry: RegistryHarness) -> None:
    tree = await registry.tree()
    admin = await registry.admin()
    rows = "".join(
        f"小区{n},幸福路{n}号,{'是' if n % 3 else '否'},,是,{'否' if n % 3 else '是'},{n % 900}\n"
        for n in range(5000)
    )
    text = "名称,地址,是否有物业,物业公司,是否有固定消防设施,是否老旧小区,户数\n" + rows
    response = await post_csv(admin, tree.community_id, "compounds", text, bom=True)
    assert response.status_code == 201, response.text[:2000]
    assert response.json()["created"] == 5000 and len(set(response.json()["ids"])) == 5000
    async with registry.runtime.db.session() as session:
        count = (
            await session.exec(
                select(func.count())
                .select_from(Compound)
                .where(col(Compound.community_id) == tree.community_id)
            )
        ).one()
    assert count == 5000
