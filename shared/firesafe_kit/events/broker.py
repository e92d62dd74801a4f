"""The broker interface the outbox relay and consumers use; Kafka and the in-process bus
implement it, so service code cannot tell which one it runs on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = field(default_factory=list)


@dataclass(frozen=True)
class IncomingMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Headers

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", errors="replace")
        return None


TopicPartition = tuple[str, int]


class BrokerUnavailable(Exception):
    """The broker cannot be reached now; the caller backs off and tries again."""


class Subscriber(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def fetch(self, *, timeout: float, max_records: int) -> list[IncomingMessage]:
        """Next records after the current position (which advances)."""
        ...

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Record, per partition, the offset of the next record to read."""
        ...

    async def rewind(self) -> None:
        """Go back to the committed offsets (after a batch that was not finished)."""
        ...

    async def lag(self) -> dict[TopicPartition, int]: ...


class Broker(Protocol):
    kind: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ping(self) -> None: ...

    async def ensure_topics(self, topics: Sequence[str]) -> None: ...

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Deliver all messages in order, or raise BrokerUnavailable (some may have arrived)."""
        ...

    def subscriber(self, group: str, topics: Sequence[str]) -> Subscriber: ...
