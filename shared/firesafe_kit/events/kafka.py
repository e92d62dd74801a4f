"""Apache Kafka through aiokafka: idempotent producer, consumer groups, topic creation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, KafkaError

from firesafe_kit.events.broker import (
    BrokerUnavailable,
    IncomingMessage,
    OutgoingMessage,
    Subscriber,
)
from firesafe_kit.events.broker import TopicPartition as TP

log = logging.getLogger(__name__)


class KafkaBroker:
    kind = "kafka"

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str,
        partitions: int = 3,
        replication_factor: int = 1,
        publish_timeout: float = 15.0,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.publish_timeout = publish_timeout
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Nothing to connect up front: the service must start even while Kafka is down."""

    async def stop(self) -> None:
        await self._drop_producer()

    async def _admin(self) -> AIOKafkaAdminClient:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers,
            client_id=f"{self.client_id}-admin",
            request_timeout_ms=5000,
        )
        try:
            await admin.start()
        except (KafkaError, OSError) as exc:
            await admin.close()
            raise BrokerUnavailable(str(exc)) from exc
        return admin

    async def ping(self) -> None:
        admin = await self._admin()
        try:
            await asyncio.wait_for(admin.describe_cluster(), timeout=3)
        except (KafkaError, OSError, TimeoutError) as exc:
            raise BrokerUnavailable(str(exc)) from exc
        finally:
            await admin.close()

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        admin = await self._admin()
        try:
            existing = set(await admin.list_topics())
            missing = [t for t in dict.fromkeys(topics) if t not in existing]
            if missing:
                await admin.create_topics(
                    [NewTopic(t, self.partitions, self.replication_factor) for t in missing]
                )
                log.info("kafka topics created", extra={"topics": missing})
            for _ in range(50):  # metadata propagates asynchronously even on one node
                if set(missing) <= set(await admin.list_topics()):
                    return
                await asyncio.sleep(0.1)
            raise BrokerUnavailable(f"topics not visible after creation: {missing}")
        except (KafkaError, OSError) as exc:
            raise BrokerUnavailable(str(exc)) from exc
        finally:
            await admin.close()

    async def _get_producer(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap_servers,
                    client_id=self.client_id,
                    enable_idempotence=True,  # no duplicates from the producer's own retries
                    acks="all",
                    linger_ms=2,
                    request_timeout_ms=10000,
                )
                try:
                    await producer.start()
                except (KafkaError, OSError) as exc:
                    await producer.stop()
                    raise BrokerUnavailable(str(exc)) from exc
                self._producer = producer
            return self._producer

    async def _drop_producer(self) -> None:
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), timeout=5)
            except (KafkaError, OSError, TimeoutError):
                log.warning("kafka producer did not stop cleanly")

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if not messages:
            return
        producer = await self._get_producer()
        try:
            async with asyncio.timeout(self.publish_timeout):
                futures = [
                    await producer.send(m.topic, value=m.value, key=m.key, headers=m.headers)
                    for m in messages
                ]
                await asyncio.gather(*futures)
        except (KafkaError, OSError, TimeoutError) as exc:
            # Start over with a fresh producer so that nothing half-sent lingers in its buffer.
            await self._drop_producer()
            raise BrokerUnavailable(f"publish failed: {exc!r}") from exc

    def subscriber(self, group: str, topics: Sequence[str]) -> Subscriber:
        return KafkaSubscriber(self.bootstrap_servers, group=group, topics=list(topics))


class KafkaSubscriber:
    def __init__(self, bootstrap_servers: str, *, group: str, topics: list[str]) -> None:
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap_servers,
            group_id=group,
            client_id=group,
            enable_auto_commit=False,  # offsets move only after the handler's transaction
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_interval_ms=300000,
            session_timeout_ms=10000,
            heartbeat_interval_ms=3000,
        )

    async def start(self) -> None:
        try:
            await self._consumer.start()
        except (KafkaError, OSError) as exc:
            await self._consumer.stop()
            raise BrokerUnavailable(str(exc)) from exc

    async def stop(self) -> None:
        await self._consumer.stop()

    async def fetch(self, *, timeout: float, max_records: int) -> list[IncomingMessage]:
        try:
            batches = await self._consumer.getmany(
                timeout_ms=int(timeout * 1000), max_records=max_records
            )
        except KafkaError as exc:
            raise BrokerUnavailable(str(exc)) from exc
        return [
            IncomingMessage(
                topic=r.topic,
                partition=r.partition,
                offset=r.offset,
                key=r.key,
                value=r.value or b"",
                headers=list(r.headers or []),
            )
            for records in batches.values()
            for r in records
        ]

    async def commit(self, offsets: Mapping[TP, int]) -> None:
        if not offsets:
            return
        try:
            await self._consumer.commit({TopicPartition(t, p): o for (t, p), o in offsets.items()})
        except CommitFailedError:
            # The group rebalanced: the new owner reads from the last commit and the inbox
            # makes the repeat harmless.
            log.warning("offset commit lost to a rebalance; records will be redelivered")
        except KafkaError as exc:
            raise BrokerUnavailable(str(exc)) from exc

    async def rewind(self) -> None:
        assigned = list(self._consumer.assignment())
        if assigned:
            await self._consumer.seek_to_committed(*assigned)

    async def lag(self) -> dict[TP, int]:
        result: dict[TP, int] = {}
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            position = await self._consumer.position(tp)
            result[(tp.topic, tp.partition)] = max(0, highwater - position)
        return result
