"""The demo district: loaded into an empty embedded registry through the API's own rules (so it
publishes its events and fills the jurisdiction tree), once, and never when switched off."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from firesafe_kit.auth.jwt import mint_token
from firesafe_kit.events.envelope import CloudEvent
from firesafe_kit.runtime import ServiceRuntime
from registry.config import RegistrySettings
from registry.demo import demo_wanted
from registry.main import create_app
from tests.support.backends import KAFKA, Backends
from tests.support.events import read_topic


@asynccontextmanager
async def started(
    settings: RegistrySettings,
) -> AsyncIterator[tuple[ServiceRuntime, Any]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)

        def client(role: str, *scopes: str) -> httpx.AsyncClient:
            token = mint_token(
                settings, sub=f"{role}-test", name="测试", roles=[role], jurisdiction=list(scopes)
            )
            return httpx.AsyncClient(
                transport=transport,
                base_url="http://registry",
                headers={"Authorization": f"Bearer {token}"},
            )

        yield app.state.runtime, client


def sqlite_settings(tmp_path: Path, backends: Backends) -> RegistrySettings:
    return RegistrySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'registry.sqlite'}",
        kafka_bootstrap_servers=KAFKA if backends.real else "",
        data_dir=tmp_path,
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
        relay_idle_seconds=0.1,
    )


async def items(client: httpx.AsyncClient, path: str, **params: str) -> list[dict[str, Any]]:
    response = await client.get(path, params={"limit": "200", **params})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


@pytest.fixture(autouse=True)
def default_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIRESAFE_DEMO_DATA", raising=False)
    monkeypatch.delenv("FIRESAFE_ENV", raising=False)


async def test_an_empty_embedded_registry_gets_the_demo_district(
    tmp_path: Path, backends: Backends
) -> None:
    async with started(sqlite_settings(tmp_path, backends)) as (runtime, client):
        async with client("city_admin", "city") as admin, client("viewer", "city") as viewer:
            [district] = await items(admin, "/api/v1/districts")
            assert (district["code"], district["name"]) == ("140302", "城区")
            streets = await items(admin, "/api/v1/streets")
            assert {(s["name"], s["kind"]) for s in streets} == {
                ("北大街街道", "street"),
                ("义井镇", "town"),
            }
            communities = await items(admin, "/api/v1/communities")
            assert len(communities) == 4
            assert [c["name"] for c in communities if c["fire_pact"] is None] == ["北大街社区"]
            assert [c["name"] for c in communities if c["responsible_person"] is None] == [
                "义井社区"
            ]
            assert all(1 <= len(c["safety_managers"]) <= 2 for c in communities)
            grids = await items(admin, "/api/v1/grids")
            assert grids and all(g["workers"] for g in grids)

            compounds = await items(admin, "/api/v1/compounds")
            served = {c["id"] for c in compounds if c["has_property_service"]}
            assert served and any(c["is_old"] and not c["has_fixed_facilities"] for c in compounds)
            assert await items(admin, "/api/v1/buildings")
            stations = await items(admin, "/api/v1/stations")
            covered = {i for s in stations for i in s["compound_ids"]}
            assert covered < served  # every station covers property-service compounds…
            gap = [c["name"] for c in compounds if c["id"] in served - covered]
            assert gap == ["新华苑"]  # …but one is left uncovered: the visible gap of rule 3
            employment = set()
            for station in stations:
                members = await items(admin, f"/api/v1/stations/{station['id']}/members")
                assert [m["role"] for m in members].count("head") == 1 and len(members) >= 3
                employment |= {m["employment"] for m in members}
            assert employment == {"full_time", "part_time"}

            facilities = await items(admin, "/api/v1/facilities")
            overdue = [
                f
                for f in facilities
                if f["next_test_due"] and date.fromisoformat(f["next_test_due"]) < date.today()
            ]
            assert len(overdue) == 1
            kinds = {p["kind"] for p in await items(admin, "/api/v1/premises")}
            assert kinds == {
                "rental_housing",
                "three_in_one",
                "many_in_one",
                "ebike_shed",
                "ebike_charging",
            }

            residents = await items(admin, "/api/v1/key-residents")
            by_category: dict[str, list[bool]] = {}
            for resident in residents:
                alarm = any(d["kind"] == "smoke_alarm" for d in resident["devices"])
                by_category.setdefault(resident["category"], []).append(alarm)
            assert set(by_category) == {"elderly_alone", "left_behind_child", "disabled"}
            assert all(set(alarms) == {True, False} for alarms in by_category.values())
            assert all(
                not r["masked"] and len(r["id_number"]) == 18 for r in residents if r["id_number"]
            )
            masked = await items(viewer, "/api/v1/key-residents")
            assert len(masked) == len(residents) and all(r["masked"] for r in masked)
            assert not {r["name"] for r in masked} & {r["name"] for r in residents}

            # The jurisdiction tree is filled: a street officer sees its own two communities.
            [beidajie] = [s for s in streets if s["name"] == "北大街街道"]
            async with client("street_officer", f"street:{beidajie['id']}") as officer:
                mine = await items(officer, "/api/v1/communities")
                assert {c["name"] for c in mine} == {"桃林沟社区", "北大街社区"}

        # And the demo published its events like any other writes.
        def types(seen: list[Any]) -> list[str]:
            return [m.header("ce_type") for m in seen]

        messages = await read_topic(
            runtime.broker,
            runtime.topic,
            until=lambda seen: (
                types(seen).count("firesafe.registry.key_resident.created") == len(residents)
            ),
        )
        seen = types(messages)
        assert seen.count("firesafe.registry.district.created") == 1
        assert seen.count("firesafe.registry.community.created") == 4
        assert seen.count("firesafe.registry.compound.created") == len(compounds)
        assert seen.count("firesafe.registry.station.created") == len(stations)
        assert "firesafe.registry.station.member.added" in seen
        assert "firesafe.registry.key_resident.device.installed" in seen
        resident_events = [
            CloudEvent.from_message(m)
            for m in messages
            if m.header("ce_type") == "firesafe.registry.key_resident.created"
        ]
        names = {r["name"] for r in residents}
        assert not any(name in str(e.data) for e in resident_events for name in names)


async def test_a_second_start_does_not_load_it_twice(tmp_path: Path, backends: Backends) -> None:
    settings = sqlite_settings(tmp_path, backends)
    async with started(settings) as (_runtime, client), client("city_admin", "city") as admin:
        first = len(await items(admin, "/api/v1/compounds"))
    async with started(settings) as (_runtime, client), client("city_admin", "city") as admin:
        assert len(await items(admin, "/api/v1/districts")) == 1
        assert len(await items(admin, "/api/v1/compounds")) == first > 0


@pytest.mark.parametrize("switch", ["0", "false", "off"])
async def test_demo_data_switched_off_loads_nothing(
    tmp_path: Path, backends: Backends, monkeypatch: pytest.MonkeyPatch, switch: str
) -> None:
    monkeypatch.setenv("FIRESAFE_DEMO_DATA", switch)
    settings = sqlite_settings(tmp_path, backends)
    async with started(settings) as (_runtime, client), client("city_admin", "city") as admin:
        assert await items(admin, "/api/v1/districts") == []
        assert await items(admin, "/api/v1/communities") == []


async def test_on_the_selected_backend_by_default_only_on_sqlite_and_when_asked_anywhere(
    tmp_path: Path, backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real backends: PostgreSQL gets the demo only with FIRESAFE_DEMO_DATA=1."""
    settings = RegistrySettings(
        database_url=await backends.database_url("registry-demo"),
        kafka_bootstrap_servers=KAFKA if backends.real else "",
        data_dir=tmp_path,
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
    )
    async with started(settings) as (_runtime, client), client("city_admin", "city") as admin:
        loaded = await items(admin, "/api/v1/districts")
        assert len(loaded) == (0 if backends.real else 1)
    monkeypatch.setenv("FIRESAFE_DEMO_DATA", "1")
    async with started(settings) as (_runtime, client), client("city_admin", "city") as admin:
        assert [d["code"] for d in await items(admin, "/api/v1/districts")] == ["140302"]
        assert len(await items(admin, "/api/v1/communities")) == 4


def test_never_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESAFE_DEMO_DATA", "1")
    prod = RegistrySettings(
        env="prod",
        database_url="postgresql+asyncpg://firesafe:firesafe@127.0.0.1:5432/registry",
        kafka_bootstrap_servers="127.0.0.1:9092",
        jwt_secret="x" * 40,
    )
    assert demo_wanted(prod) is False
    assert demo_wanted(prod.model_copy(update={"env": "dev"})) is True
