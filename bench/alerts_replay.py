"""Replay catch-up: the alerts service's consumer reading a registry topic from its start, next
to aiokafka's raw consume rate of the same records on the same machine.

The bench produces registry-shaped CloudEvents (Kafka binary mode, made by the kit's
`CloudEvent`) onto a fresh `<prefix>firesafe.registry.v1`: a district, streets, ~1,000
communities (the record key) and their compounds, stations and key residents, created and
updated, mixed with types no rule reads (grids, buildings, premises, station members, devices;
the runner counts and skips those). Then, on the same records:

- raw: a plain AIOKafkaConsumer from earliest, a getmany loop, nothing done with the records;
- service: `python -m alerts` on an empty database with that prefix. Its group
  `<prefix>alerts.rules` commits after each fetched batch; the bench reads the group's committed
  offsets every 0.2 s. The rate counts from the first commit seen to the end of the topic, so
  process start, migrations and the group join are left out.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from bench.common import (
    KAFKA,
    asyncpg_url,
    delete_topics,
    fresh_database,
    service_process,
    sqlalchemy_url,
)
from firesafe_kit.events.envelope import CloudEvent
from firesafe_kit.events.kafka import KafkaBroker

COMMUNITIES = 1000
STREETS = 10
SOURCE = "/firesafe/registry"
STALL_SECONDS = 120.0  # no commit for this long: report what was reached and stop waiting
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC).isoformat()


def _masked(name: str = "王**") -> dict[str, str]:
    return {"name": name, "phone": "136****5678"}


@dataclass
class _Community:
    id: str
    street_id: str
    district_id: str
    code: str
    version: int = 0
    compounds: dict[str, int] = field(default_factory=dict)  # id -> version
    stations: dict[str, int] = field(default_factory=dict)
    residents: dict[str, int] = field(default_factory=dict)


def _record(entity_id: str, version: int) -> dict[str, Any]:
    return {"id": entity_id, "version": version, "created_at": NOW, "updated_at": NOW}


class _Registry:
    """Registry events as the registry would publish them, from a seeded random walk."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)

    def _event(self, name: str, verb: str, data: dict[str, Any], key: str) -> CloudEvent:
        return CloudEvent(
            type=f"firesafe.registry.{name}.{verb}",
            source=SOURCE,
            subject=str(data.get("id", key)),
            data=data,
            partitionkey=key,
        )

    def community(self, c: _Community) -> CloudEvent:
        rng, verb = self.rng, "created" if c.version == 0 else "updated"
        c.version += 1
        data = {
            **_record(c.id, c.version),
            "street_id": c.street_id,
            "district_id": c.district_id,
            "code": c.code,
            "name": f"幸福里{c.code[-3:]}社区",
            "responsible_person": _masked() if rng.random() < 0.9 else None,
            "safety_managers": [
                {**_masked("李*"), "employment": "full_time"}
                for _ in range(1 if rng.random() < 0.8 else 2)
            ],
            "fire_pact": {"document_url": None, "adopted_on": "2025-03-01"}
            if rng.random() < 0.6
            else None,
            "emergency_plan": None,
        }
        return self._event("community", verb, data, c.id)

    def _bump(self, entities: dict[str, int], room: int) -> tuple[str, str, int]:
        if not entities or (len(entities) < room and self.rng.random() < 0.4):
            entity_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
            entities[entity_id] = 1
            return entity_id, "created", 1
        entity_id = self.rng.choice(list(entities))
        entities[entity_id] += 1
        return entity_id, "updated", entities[entity_id]

    def compound(self, c: _Community) -> CloudEvent:
        entity_id, verb, version = self._bump(c.compounds, 12)
        service = self.rng.random() < 0.6
        data = {
            **_record(entity_id, version),
            "community_id": c.id,
            "grid_id": None,
            "name": f"幸福小区{len(c.compounds)}期",
            "address": f"坞城路{len(c.compounds)}号",
            "has_property_service": service,
            "property_company": "安居物业" if service else None,
            "has_fixed_facilities": True,
            "is_old": self.rng.random() < 0.3,
            "households": self.rng.randint(50, 900),
        }
        return self._event("compound", verb, data, c.id)

    def station(self, c: _Community) -> CloudEvent:
        entity_id, verb, version = self._bump(c.stations, 2)
        compounds = list(c.compounds)
        covered = self.rng.sample(compounds, self.rng.randint(0, len(compounds)))
        data = {
            **_record(entity_id, version),
            "community_id": c.id,
            "name": "微型消防站",
            "phone": None,
            "compound_ids": covered,
            "equipment": [{"name": "灭火器", "quantity": 20}],
        }
        return self._event("station", verb, data, c.id)

    def key_resident(self, c: _Community) -> CloudEvent:
        entity_id, verb, version = self._bump(c.residents, 20)
        deleted = verb == "updated" and self.rng.random() < 0.05
        if deleted:
            del c.residents[entity_id]  # gone: never updated again
        alarm = self.rng.random() < 0.7
        devices = [{"kind": "smoke_alarm", "installed_on": "2025-05-01"}] if alarm else []
        data = {
            "id": entity_id,
            "version": version,
            "community_id": c.id,
            "building_id": None,
            "category": self.rng.choice(["elderly_alone", "left_behind_child", "disabled"]),
            "devices": devices,
            "has_smoke_alarm": alarm,
            "deleted": deleted,
        }
        return self._event("key_resident", "deleted" if deleted else verb, data, c.id)

    def unread(self, c: _Community) -> CloudEvent:
        """A type the alerts service has no handler for."""
        entity_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        unread: list[tuple[str, dict[str, Any]]] = [
            ("grid.created", {"name": "第一网格", "workers": [_masked("张*")]}),
            ("building.created", {"compound_id": entity_id, "name": "1号楼", "floors": 6}),
            ("premise.created", {"kind": "ebike_shed", "name": "车棚", "address": "坞城路1号"}),
            ("station.member.added", {"role": "member", "employment": "part_time"}),
            ("key_resident.device.installed", {"kind": "extinguisher"}),
        ]
        name, data = self.rng.choice(unread)
        entity, verb = name.rsplit(".", 1)
        return self._event(
            entity, verb, {**_record(entity_id, 1), "community_id": c.id, **data}, c.id
        )

    def events(self, total: int) -> Iterator[CloudEvent]:
        district = str(uuid.uuid4())
        yield self._event(
            "district", "created", {**_record(district, 1), "code": "140105"}, district
        )
        communities = []
        for s in range(STREETS):
            street, code = str(uuid.uuid4()), f"140105{s + 1:03d}"
            data = {**_record(street, 1), "district_id": district, "code": code, "kind": "street"}
            yield self._event("street", "created", data, street)
            for i in range(COMMUNITIES // STREETS):
                community = _Community(str(uuid.uuid4()), street, district, f"{code}{i + 1:03d}")
                communities.append(community)
                yield self.community(community)
        kinds = [self.community, self.compound, self.station, self.key_resident, self.unread]
        for _ in range(total - 1 - STREETS - len(communities)):
            make = self.rng.choices(kinds, weights=[10, 25, 8, 25, 32])[0]
            yield make(self.rng.choice(communities))


async def _produce(topic: str, total: int) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=KAFKA, enable_idempotence=True, acks="all", linger_ms=20
    )
    await producer.start()
    try:
        pending = []
        for i, event in enumerate(_Registry().events(total)):
            message = event.to_message(topic)
            pending.append(
                await producer.send(
                    topic, value=message.value, key=message.key, headers=message.headers
                )
            )
            if i % 5000 == 4999:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def _raw_consume(topic: str, total: int) -> tuple[float, dict[TopicPartition, int]]:
    """Seconds to read `total` records with a bare consumer; the end offset per partition."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=KAFKA,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        count, started = 0, time.perf_counter()
        while count < total:
            batches = await consumer.getmany(timeout_ms=1000)
            count += sum(len(records) for records in batches.values())
        elapsed = time.perf_counter() - started
        return elapsed, await consumer.end_offsets(list(consumer.assignment()))
    finally:
        await consumer.stop()


@dataclass
class Progress:
    events: int = 0  # committed past the first commit seen
    seconds: float = 0.0
    stalled: bool = False


async def _committed(
    admin: AIOKafkaAdminClient, group: str, ends: dict[TopicPartition, int]
) -> int:
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    except Exception:  # the group does not exist yet
        return 0
    return sum(offsets[tp].offset for tp in ends if tp in offsets and offsets[tp].offset > 0)


async def _watch(group: str, ends: dict[TopicPartition, int], on_first: Any) -> Progress:
    """Poll the group's committed offsets until they reach `ends` (or stop moving)."""
    end = sum(ends.values())
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, client_id="bench-watch")
    await admin.start()
    try:
        first: tuple[float, int] | None = None
        last_move, last_count = time.perf_counter(), 0
        while True:
            count, now = await _committed(admin, group, ends), time.perf_counter()
            if count and first is None:
                first = (now, count)
                await on_first()
            if count != last_count:
                last_move, last_count = now, count
            if count >= end or now - last_move > STALL_SECONDS:
                break
            await asyncio.sleep(0.2)
        if first is None:
            return Progress(stalled=True)
        return Progress(count - first[1], last_move - first[0], count < end)
    finally:
        await admin.close()


async def _scrape(base: str) -> dict[str, float]:
    """The alerts process's CPU seconds and its handled events by outcome, from /metrics."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{base}/metrics")).text
    found: dict[str, float] = {"cpu": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "process_cpu_seconds_total":
                found["cpu"] = sample.value
            elif sample.name == "firesafe_events_handled_total":
                registry = sample.labels["type"].startswith("firesafe.registry.")
                name = f"{sample.labels['outcome']}{'' if registry else ' (not registry)'}"
                found[name] = found.get(name, 0.0) + sample.value
    return found


def _machine_busy() -> tuple[float, float]:
    """Busy and total CPU time of the machine so far, in clock ticks (/proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [float(x) for x in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, sum(ticks)


async def _alert_counts(database: str) -> str:
    conn = await asyncpg.connect(asyncpg_url(database))
    try:
        rows = await conn.fetch("SELECT status, count(*) FROM alerts GROUP BY status ORDER BY 1")
        facts = await conn.fetchval("SELECT count(*) FROM facts")
    finally:
        await conn.close()
    return ", ".join([*(f"{r[0]} {r[1]}" for r in rows), f"facts {facts}"])


async def run(events: int) -> None:
    prefix = f"bench-replay-{uuid.uuid4().hex[:8]}."
    topic = f"{prefix}firesafe.registry.v1"
    try:
        await KafkaBroker(KAFKA, client_id="bench-replay").ensure_topics([topic])
        started = time.perf_counter()
        await _produce(topic, events)
        produce_seconds = time.perf_counter() - started
        raw_seconds, ends = await _raw_consume(topic, events)
        async with fresh_database("bench_replay_alerts") as database:
            env = {
                "DATABASE_URL": sqlalchemy_url(database),
                "KAFKA_BOOTSTRAP_SERVERS": KAFKA,
                "FIRESAFE_TOPIC_PREFIX": prefix,
            }
            async with service_process("alerts", env) as base:
                before: dict[str, Any] = {}

                async def on_first() -> None:
                    before.update(await _scrape(base), machine=_machine_busy())

                progress = await _watch(f"{prefix}alerts.rules", ends, on_first)
                after = await _scrape(base)
                machine = _machine_busy()
            counts = await _alert_counts(database)
    finally:
        await delete_topics(prefix)
    _report(events, produce_seconds, raw_seconds, progress, before, after, machine, counts)


def _report(
    events: int,
    produce_seconds: float,
    raw_seconds: float,
    progress: Progress,
    before: dict[str, Any],
    after: dict[str, float],
    machine: tuple[float, float],
    counts: str,
) -> None:
    print(f"replay catch-up: {events} registry events, {COMMUNITIES} communities")
    print(f"(produced in {produce_seconds:.1f} s; PostgreSQL, Kafka; alerts in its own process)")
    if progress.seconds <= 0:
        print("  the alerts consumer committed nothing measurable (see stalled below)")
        return
    raw_rate = events / raw_seconds
    rate = progress.events / progress.seconds
    print(f"  {'path':<44}{'events':>9}{'seconds':>9}{'events/s':>10}")
    print(
        f"  {'aiokafka consumer, raw getmany':<44}{events:>9}{raw_seconds:>9.2f}{raw_rate:>10.0f}"
    )
    label = "alerts consumer (rules, inbox, commits)" + (" STALLED" if progress.stalled else "")
    print(f"  {label:<44}{progress.events:>9}{progress.seconds:>9.2f}{rate:>10.0f}")
    print(f"  ratio alerts/raw throughput: {rate / raw_rate:.4f}x (1/{raw_rate / rate:.0f})")
    cpu = after["cpu"] - before["cpu"]
    busy = (machine[0] - before["machine"][0]) / (machine[1] - before["machine"][1])
    print(
        f"  during catch-up: alerts process CPU {cpu:.1f} s of {progress.seconds:.1f} s wall "
        f"({cpu / progress.seconds:.0%} of one core); machine busy {busy:.0%} of all cores"
    )
    outcomes = sorted((k, v) for k, v in after.items() if k != "cpu")
    print("  events handled, whole run: " + ", ".join(f"{k} {v:.0f}" for k, v in outcomes))
    print(f"  alerts database afterwards: {counts}")
