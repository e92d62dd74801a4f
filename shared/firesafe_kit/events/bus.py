"""The in-process bus of the embedded mode: a durable log in one SQLite file.

It keeps Kafka's semantics that services rely on: an append-only log per topic, consumer
groups with committed offsets that survive a restart, at-least-once delivery, and dead-letter
topics. One partition per topic, so order is total. Several services in one process share
one instance per file; separate processes on the same file see each other by polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from sqlalchemy import text

from firesafe_kit.db import Database
from firesafe_kit.events.broker import IncomingMessage, OutgoingMessage, Subscriber
from firesafe_kit.events.broker import TopicPartition as TP

# The bus's own storage format, like Kafka's log directory: created by the broker itself.
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS bus_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL, key BLOB, value BLOB NOT NULL, headers TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_bus_messages_topic ON bus_messages (topic, id)",
    """CREATE TABLE IF NOT EXISTS bus_offsets (
        consumer_group TEXT NOT NULL, topic TEXT NOT NULL, next_offset INTEGER NOT NULL,
        PRIMARY KEY (consumer_group, topic))""",
    "CREATE TABLE IF NOT EXISTS bus_topics (name TEXT PRIMARY KEY)",
)


class LocalLogBroker:
    kind = "bus"
    _instances: ClassVar[dict[Path, LocalLogBroker]] = {}

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: Database | None = None
        self._users = 0
        self._appended = asyncio.Condition()
        self._start_lock = asyncio.Lock()

    @classmethod
    def shared(cls, path: Path) -> LocalLogBroker:
        """One broker per log file in this process, so a publish wakes every subscriber."""
        path = path.resolve()
        if path not in cls._instances:
            cls._instances[path] = cls(path)
        return cls._instances[path]

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("bus not started")
        return self._db

    async def start(self) -> None:
        async with self._start_lock:
            self._users += 1
            if self._db is None:
                self._db = Database(f"sqlite+aiosqlite:///{self.path}", pool_size=2)
                async with self._db.engine.begin() as connection:
                    for statement in _SCHEMA:
                        await connection.execute(text(statement))

    async def stop(self) -> None:
        async with self._start_lock:
            self._users -= 1
            if self._users <= 0 and self._db is not None:
                await self._db.dispose()
                self._db = None
                type(self)._instances.pop(self.path, None)

    async def ping(self) -> None:
        await self.db.ping()

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        async with self.db.engine.begin() as connection:
            for topic in topics:
                await connection.execute(
                    text("INSERT OR IGNORE INTO bus_topics (name) VALUES (:n)"), {"n": topic}
                )

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if not messages:
            return
        async with self.db.engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO bus_messages (topic, key, value, headers) VALUES (:t,:k,:v,:h)"),
                [
                    {
                        "t": m.topic,
                        "k": m.key,
                        "v": m.value,
                        "h": json.dumps([[k, v.decode("utf-8", "replace")] for k, v in m.headers]),
                    }
                    for m in messages
                ],
            )
        async with self._appended:
            self._appended.notify_all()

    async def wait_for_append(self, timeout: float) -> None:
        async with self._appended:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._appended.wait(), timeout)

    def subscriber(self, group: str, topics: Sequence[str]) -> Subscriber:
        return LocalLogSubscriber(self, group=group, topics=list(topics))


class LocalLogSubscriber:
    def __init__(self, broker: LocalLogBroker, *, group: str, topics: list[str]) -> None:
        self._broker = broker
        self._group = group
        self._topics = topics
        self._position: dict[str, int] = {}

    async def start(self) -> None:
        await self.rewind()

    async def stop(self) -> None:
        self._position.clear()

    async def rewind(self) -> None:
        async with self._broker.db.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT topic, next_offset FROM bus_offsets WHERE consumer_group = :g"),
                {"g": self._group},
            )
            committed = {topic: offset for topic, offset in rows}
        self._position = {topic: committed.get(topic, 0) for topic in self._topics}

    async def _read(self, max_records: int) -> list[IncomingMessage]:
        clauses = " OR ".join(f"(topic = :t{i} AND id >= :o{i})" for i in range(len(self._topics)))
        params: dict[str, object] = {"n": max_records}
        for i, topic in enumerate(self._topics):
            params[f"t{i}"], params[f"o{i}"] = topic, self._position[topic]
        async with self._broker.db.engine.connect() as connection:
            rows = await connection.execute(
                text(
                    f"SELECT id, topic, key, value, headers FROM bus_messages WHERE {clauses} "
                    "ORDER BY id LIMIT :n"
                ),
                params,
            )
            messages = [
                IncomingMessage(
                    topic=topic,
                    partition=0,
                    offset=offset,
                    key=key,
                    value=value,
                    headers=[(k, v.encode()) for k, v in json.loads(headers)],
                )
                for offset, topic, key, value, headers in rows
            ]
        for message in messages:
            self._position[message.topic] = message.offset + 1
        return messages

    async def fetch(self, *, timeout: float, max_records: int) -> list[IncomingMessage]:
        messages = await self._read(max_records)
        if not messages:
            await self._broker.wait_for_append(timeout)
            messages = await self._read(max_records)
        return messages

    async def commit(self, offsets: Mapping[TP, int]) -> None:
        async with self._broker.db.engine.begin() as connection:
            for (topic, _partition), offset in offsets.items():
                await connection.execute(
                    text(
                        "INSERT INTO bus_offsets (consumer_group, topic, next_offset) "
                        "VALUES (:g, :t, :o) ON CONFLICT (consumer_group, topic) "
                        "DO UPDATE SET next_offset = excluded.next_offset"
                    ),
                    {"g": self._group, "t": topic, "o": offset},
                )

    async def lag(self) -> dict[TP, int]:
        result: dict[TP, int] = {}
        async with self._broker.db.engine.connect() as connection:
            for topic in self._topics:
                count = await connection.scalar(
                    text("SELECT count(*) FROM bus_messages WHERE topic = :t AND id >= :o"),
                    {"t": topic, "o": self._position.get(topic, 0)},
                )
                result[(topic, 0)] = int(count or 0)
        return result
