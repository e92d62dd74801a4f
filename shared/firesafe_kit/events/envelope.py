"""CloudEvents 1.0 in Kafka binary content mode (API.md): attributes in `ce_*` headers,
the event data as the JSON value, the community id as the record key."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from firesafe_kit import jsonutil
from firesafe_kit.clock import utcnow
from firesafe_kit.events.broker import Headers, IncomingMessage, OutgoingMessage

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
_REQUIRED = ("ce_id", "ce_source", "ce_type", "ce_specversion")


class InvalidEvent(ValueError):
    """A record that is not a CloudEvent we can read: a poison message."""


@dataclass(frozen=True)
class CloudEvent:
    type: str
    source: str
    subject: str
    data: dict[str, Any]
    partitionkey: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=utcnow)
    dataschema: str | None = None
    traceparent: str | None = None
    request_id: str | None = None

    def headers(self) -> Headers:
        pairs = {
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_specversion": SPEC_VERSION,
            "ce_time": self.time.isoformat(),
            "ce_subject": self.subject,
            "ce_partitionkey": self.partitionkey,
            "ce_dataschema": self.dataschema,
            "content-type": CONTENT_TYPE,
            "traceparent": self.traceparent,
            "x-request-id": self.request_id,
        }
        return [(k, v.encode()) for k, v in pairs.items() if v is not None]

    def value(self) -> bytes:
        return jsonutil.dumps(self.data, compact=True).encode()

    def to_message(self, topic: str) -> OutgoingMessage:
        key = self.partitionkey.encode() if self.partitionkey else None
        return OutgoingMessage(topic=topic, key=key, value=self.value(), headers=self.headers())

    @classmethod
    def from_message(cls, message: IncomingMessage) -> CloudEvent:
        missing = [name for name in _REQUIRED if message.header(name) is None]
        if missing:
            raise InvalidEvent(f"missing CloudEvents headers: {', '.join(missing)}")
        if message.header("ce_specversion") != SPEC_VERSION:
            raise InvalidEvent(f"unsupported ce_specversion {message.header('ce_specversion')!r}")
        try:
            data = json.loads(message.value.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidEvent(f"value is not UTF-8 JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidEvent("event data must be a JSON object")
        raw_time = message.header("ce_time")
        try:
            time = datetime.fromisoformat(raw_time) if raw_time else utcnow()
        except ValueError as exc:
            raise InvalidEvent(f"ce_time is not RFC 3339: {raw_time!r}") from exc
        return cls(
            id=str(message.header("ce_id")),
            source=str(message.header("ce_source")),
            type=str(message.header("ce_type")),
            subject=message.header("ce_subject") or "",
            partitionkey=message.header("ce_partitionkey"),
            time=time,
            dataschema=message.header("ce_dataschema"),
            traceparent=message.header("traceparent"),
            request_id=message.header("x-request-id"),
            data=data,
        )
