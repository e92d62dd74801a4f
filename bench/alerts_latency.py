"""Registry write → alert row latency, next to a bare Kafka produce → consume probe, in one run.

The registry and the alerts service run each in its own process on PostgreSQL and Kafka (fresh
databases, a topic prefix of this run). A sample POSTs a community without a fire pact and waits
for the `missing_fire_pact` alert row for it: a trigger the bench adds to the alerts table
notifies a LISTENing connection when the row commits, so nothing polls. Both ends are taken by
the bench on one clock: t0 just before the POST, t1 when the notification arrives.

Between two pipeline samples the probe sends one small record with the kit's producer settings
(idempotent, acks=all, linger 2 ms) to a consumer with the kit's consumer settings (a group,
read_committed) on a fresh topic, and times it until the consumer has it: the one Kafka hop
the pipeline also makes. What the pipeline adds to that hop: HTTP and the JWT check, the
registry's transaction (community row + outbox row), the relay waking up, claiming the row,
publishing it and marking it published; then in the alerts service the inbox row, the fact, the
rules re-checked over the community's facts, the alert row with its own outbox row, and the
commit. The stages below split the pipeline's time by the timestamps the services write.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.common import (
    KAFKA,
    asyncpg_url,
    delete_topics,
    fresh_database,
    percentiles_ms,
    service_process,
    sqlalchemy_url,
)
from firesafe_kit.auth.jwt import mint_token
from firesafe_kit.events.kafka import KafkaBroker
from firesafe_kit.settings import KitSettings
from tests.support.registry_data import community_body, created

WARMUP = 10  # samples made and not counted: connections, caches, the group's first fetch
KIND = "missing_fire_pact"
CHANNEL = "bench_alert_raised"
NOTIFY_ON_ALERT = f"""
CREATE FUNCTION bench_notify_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.subject_id);
    RETURN NEW;
END $$;
CREATE TRIGGER bench_notify_alert AFTER INSERT ON alerts FOR EACH ROW
    WHEN (NEW.kind = '{KIND}') EXECUTE FUNCTION bench_notify_alert();
"""


@dataclass
class Sample:
    community_id: str
    posted: float  # wall clock, seconds: just before the POST
    answered: float  # the POST's response is in
    seen: float  # the alert row is committed and its notification read


class AlertWatch:
    """Wall-clock arrival of each alert row, by community id (rows may beat the POST's answer)."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self._arrived = asyncio.Event()

    def notified(self, _conn: object, _pid: int, _channel: str, community_id: str) -> None:
        self.arrivals[community_id] = time.time()
        self._arrived.set()

    async def wait(self, community_id: str, timeout: float = 30.0) -> float:
        async with asyncio.timeout(timeout):
            while community_id not in self.arrivals:
                self._arrived.clear()
                await self._arrived.wait()
        return self.arrivals[community_id]


class Communities:
    """A district, then streets as needed, each with up to 999 community codes."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.district = ""
        self.street = ""
        self.street_code = ""
        self.count = 0

    async def _post(self, path: str, body: dict[str, object]) -> str:
        return str((await created(self.client.post(path, json=body)))["id"])

    async def _next_code(self) -> str:
        if not self.district:
            self.district = await self._post(
                "/api/v1/districts", {"code": "140105", "name": "小店区"}
            )
        if self.count % 999 == 0:
            self.street_code = f"140105{self.count // 999 + 1:03d}"
            self.street = await self._post(
                "/api/v1/streets",
                {"district_id": self.district, "code": self.street_code, "name": "坞城街道"},
            )
        self.count += 1
        return f"{self.street_code}{(self.count - 1) % 999 + 1:03d}"

    async def sample(self, watch: AlertWatch) -> Sample:
        code = await self._next_code()
        body = community_body(self.street, code, name=f"幸福里{code[-3:]}社区")
        posted = time.time()
        response = await self.client.post("/api/v1/communities", json=body)
        answered = time.time()
        assert response.status_code == 201, response.text
        community_id = str(response.json()["id"])
        return Sample(community_id, posted, answered, await watch.wait(community_id))


class KafkaProbe:
    """One record at a time through a bare aiokafka producer and consumer."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.producer = AIOKafkaProducer(
            bootstrap_servers=KAFKA, enable_idempotence=True, acks="all", linger_ms=2
        )
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=KAFKA,
            group_id=f"{topic}.probe",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        self.seq = 0

    async def __aenter__(self) -> KafkaProbe:
        await KafkaBroker(KAFKA, client_id="bench-probe").ensure_topics([self.topic])
        await self.producer.start()
        await self.consumer.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.consumer.stop()
        await self.producer.stop()

    async def sample(self, timeout: float = 30.0) -> float:
        self.seq += 1
        value = f'{{"seq":{self.seq},"name":"消防安全社区"}}'.encode()
        started = time.time()
        ack = await self.producer.send(self.topic, value=value, key=b"community-1")
        async with asyncio.timeout(timeout):  # the first one waits for the group to form
            record = await self.consumer.getone()
        seen = time.time()
        await ack
        assert record.value == value
        return seen - started


@asynccontextmanager
async def _platform(prefix: str) -> AsyncIterator[tuple[str, str, str]]:
    """Registry and alerts, each its own process; yields the registry URL and both databases."""
    async with AsyncExitStack() as stack:
        databases = {}
        for module in ("registry", "alerts"):
            database = await stack.enter_async_context(fresh_database(f"bench_alerts_{module}"))
            env = {
                "DATABASE_URL": sqlalchemy_url(database),
                "KAFKA_BOOTSTRAP_SERVERS": KAFKA,
                "FIRESAFE_TOPIC_PREFIX": prefix,
                "FIRESAFE_DEMO_DATA": "0",
            }
            databases[module] = database
            base = await stack.enter_async_context(service_process(module, env))
            if module == "registry":
                registry_url = base
        yield registry_url, databases["registry"], databases["alerts"]


async def _stages(samples: list[Sample], registry_db: str, alerts_db: str) -> list[list[float]]:
    """Per sample, seconds after the POST: answered, relayed, claimed, raised, seen."""

    async def rows(database: str, query: str) -> dict[str, datetime]:
        conn = await asyncpg.connect(asyncpg_url(database))
        try:
            return {r[0]: r[1] for r in await conn.fetch(query)}
        finally:
            await conn.close()

    events = await rows(
        registry_db,
        "SELECT partition_key, event_id FROM kit_outbox "
        "WHERE event_type = 'firesafe.registry.community.created'",
    )
    relayed = await rows(
        registry_db,
        "SELECT event_id, published_at FROM kit_outbox "
        "WHERE event_type = 'firesafe.registry.community.created'",
    )
    claimed = await rows(alerts_db, "SELECT event_id, processed_at FROM kit_inbox")
    raised = await rows(
        alerts_db, f"SELECT subject_id, raised_at FROM alerts WHERE kind = '{KIND}'"
    )
    stages: list[list[float]] = [[], [], [], [], []]
    for s in samples:
        event_id = str(events[s.community_id])
        times = (
            s.answered,
            relayed[event_id].timestamp(),
            claimed[event_id].timestamp(),
            raised[s.community_id].timestamp(),
            s.seen,
        )
        for stage, at in zip(stages, times, strict=True):
            stage.append(at - s.posted)
    return stages


STAGE_NAMES = (
    "registry answered the POST",
    "relay marked it published (Kafka acked)",
    "alerts consumer claimed it (inbox row)",
    "handler raised the alert (raised_at)",
    "alert committed, bench notified",
)


def _report(
    samples: int, pipeline: list[float], probe: list[float], stages: list[list[float]]
) -> None:
    print(f"registry write → alert row, {samples} sequential samples (+{WARMUP} warm-up)")
    print("(PostgreSQL, Kafka; registry and alerts each in its own process)")
    print(f"  {'path':<44}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    rows = {
        "POST community → missing_fire_pact alert": percentiles_ms(pipeline),
        "bare Kafka produce → consume (same run)": percentiles_ms(probe),
    }
    for label, (p50, p99, mean) in rows.items():
        print(f"  {label:<44}{p50:>9.2f}{p99:>9.2f}{mean:>9.2f}")
    (p50, p99, mean), (q50, q99, qmean) = rows.values()
    print(
        f"  {'  ratio pipeline/probe':<44}{p50 / q50:>8.1f}x{p99 / q99:>8.1f}x{mean / qmean:>8.1f}x"
    )
    print("  pipeline stages, time since the POST (service timestamps, same clock):")
    for name, stage in zip(STAGE_NAMES, stages, strict=True):
        s50, s99, smean = percentiles_ms(stage)
        print(f"    {name:<42}{s50:>9.2f}{s99:>9.2f}{smean:>9.2f}")


async def run(samples: int) -> None:
    prefix = f"bench-alerts-{uuid.uuid4().hex[:8]}."
    token = mint_token(
        KitSettings(database_url="sqlite://unused"),
        sub="bench",
        name="bench",
        roles=["city_admin"],
        jurisdiction=["city"],
    )
    watch = AlertWatch()
    measured: list[Sample] = []
    probe_times: list[float] = []
    try:
        async with _platform(prefix) as (registry, registry_db, alerts_db):
            listener = await asyncpg.connect(asyncpg_url(alerts_db))
            try:
                await listener.execute(NOTIFY_ON_ALERT)
                await listener.add_listener(CHANNEL, watch.notified)
                async with (
                    httpx.AsyncClient(
                        base_url=registry, headers={"Authorization": f"Bearer {token}"}
                    ) as client,
                    KafkaProbe(f"{prefix}probe") as probe,
                ):
                    communities = Communities(client)
                    for i in range(WARMUP + samples):
                        probe_time = await probe.sample()
                        sample = await communities.sample(watch)
                        if i >= WARMUP:
                            probe_times.append(probe_time)
                            measured.append(sample)
            finally:
                await listener.close()
            stages = await _stages(measured, registry_db, alerts_db)
    finally:
        await delete_topics(prefix)
    _report(samples, [s.seen - s.posted for s in measured], probe_times, stages)
