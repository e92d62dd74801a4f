"""What a service publishes, declared once: each event type with its payload model.

A service passes its `Catalog` to `create_service_app`, which serves the AsyncAPI 3.0 fragment
for the service's channel at `CATALOG_PATH`; the gateway merges the fragments into one document.
The payload models stay in the service (`<package>/events/published.py`): the kit knows the
envelope and the document format, never an event's fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from firesafe_kit.events.envelope import CONTENT_TYPE, SPEC_VERSION

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
CATALOG_PATH = "/events/catalog.json"
SCHEMA_REF = "#/components/schemas/{model}"
HEADERS_SCHEMA = "CloudEventHeaders"
COMMUNITY_KEY = "the community id: the events of one community keep their order"
Payload = type[BaseModel]  # named here: inside EventSpec, `type` is a field
# Where the gateway serves the merged AsyncAPI document (API.md).
ASYNCAPI_DOCUMENT = "/api/v1/asyncapi.json"


def dataschema_uri(service: str, event_type: str) -> str:
    """`ce_dataschema` of an event: its message in the platform's AsyncAPI document (a URI
    reference to the gateway's origin), e.g.
    `/api/v1/asyncapi.json#/channels/firesafe.registry.v1/messages/firesafe.registry.community.created`.
    The same pointer resolves in the service's own catalog fragment."""
    return f"{ASYNCAPI_DOCUMENT}#/channels/firesafe.{service}.v1/messages/{event_type}"


@dataclass(frozen=True)
class EventSpec:
    """One event type, e.g. `firesafe.registry.community.created`, and the shape of its data."""

    type: str
    payload: Payload
    summary: str = ""
    key: str = COMMUNITY_KEY  # what the Kafka record key holds for this event


@dataclass(frozen=True)
class Catalog:
    """Every event a service publishes on its topic (unprefixed: `firesafe.<service>.v1`)."""

    service: str
    topic: str
    events: Sequence[EventSpec] = ()
    description: str = ""

    def __post_init__(self) -> None:
        # A misdeclared catalog fails at import, not in a consumer months later.
        prefix = f"firesafe.{self.service}."
        types = [spec.type for spec in self.events]
        if len(set(types)) != len(types):
            raise ValueError(f"{self.service}: an event type is declared twice")
        foreign = [t for t in types if not t.startswith(prefix)]
        if foreign:
            raise ValueError(f"{self.service}: event types must start with {prefix}: {foreign}")

    @property
    def source(self) -> str:
        return f"/firesafe/{self.service}"

    def payload_for(self, event_type: str) -> Payload | None:
        return next((s.payload for s in self.events if s.type == event_type), None)

    def asyncapi(self) -> dict[str, Any]:
        """The AsyncAPI 3.0 document of this service's channel alone (no servers: where the
        broker is depends on the deployment, which the gateway's merged document describes)."""
        refs, definitions = models_json_schema(
            [(spec.payload, "validation") for spec in self.events], ref_template=SCHEMA_REF
        )
        schemas: dict[str, Any] = {HEADERS_SCHEMA: cloudevent_headers_schema()}
        schemas.update(definitions.get("$defs", {}))
        messages = {
            spec.type: self._message(spec, refs[(spec.payload, "validation")])
            for spec in self.events
        }
        channel_ref = f"#/channels/{self.topic}"
        return {
            "asyncapi": ASYNCAPI_VERSION,
            "info": {"title": f"{self.service} events", "version": "1.0.0"},
            "defaultContentType": CONTENT_TYPE,
            "channels": {
                self.topic: {
                    "address": self.topic,
                    "title": self.topic,
                    "description": self.description
                    or f"Everything {self.service} publishes; undeliverable records go to "
                    f"{self.topic}.dlq.",
                    "messages": messages,
                    "bindings": {
                        "kafka": {"topic": self.topic, "bindingVersion": KAFKA_BINDING_VERSION}
                    },
                }
            },
            "operations": {
                f"{self.service}.send": {
                    "action": "send",
                    "title": f"{self.service} publishes",
                    "channel": {"$ref": channel_ref},
                    "messages": [{"$ref": f"{channel_ref}/messages/{t}"} for t in messages],
                }
            },
            "components": {"schemas": schemas},
        }

    def _message(self, spec: EventSpec, payload_ref: dict[str, Any]) -> dict[str, Any]:
        # The generic headers, narrowed to this event's fixed type and source.
        fixed = {"ce_type": {"const": spec.type}, "ce_source": {"const": self.source}}
        return {
            "name": spec.type,
            "title": spec.type.removeprefix(f"firesafe.{self.service}."),
            "summary": spec.summary or spec.type,
            "contentType": CONTENT_TYPE,
            "headers": {
                "allOf": [{"$ref": SCHEMA_REF.format(model=HEADERS_SCHEMA)}, {"properties": fixed}]
            },
            "payload": payload_ref,
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": spec.key},
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
        }


def cloudevent_headers_schema() -> dict[str, Any]:
    """CloudEvents 1.0 in Kafka binary content mode, as `CloudEvent.headers()` writes them."""

    def text(description: str, **extra: Any) -> dict[str, Any]:
        return {"type": "string", "description": description, **extra}

    return {
        "type": "object",
        "title": HEADERS_SCHEMA,
        "description": "Kafka record headers (UTF-8 values); the record value is the event data.",
        "properties": {
            "ce_id": text("event id; consumers are idempotent on (ce_source, ce_id)"),
            "ce_source": text("/firesafe/<service>", examples=["/firesafe/registry"]),
            "ce_type": text("firesafe.<service>.<entity>.<past-tense verb>"),
            "ce_specversion": text("CloudEvents version", const=SPEC_VERSION),
            "ce_time": text("when the change was committed (RFC 3339)", format="date-time"),
            "ce_subject": text("id of the entity the event is about"),
            "ce_partitionkey": text("the record key, repeated (see the message's key)"),
            "ce_dataschema": text("URI of the data's schema, when the producer sets one"),
            "content-type": text("media type of the value", const=CONTENT_TYPE),
            "traceparent": text("W3C trace context of the request that made the change"),
            "x-request-id": text("X-Request-ID of the request that made the change"),
        },
        "required": [
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_specversion",
            "ce_time",
            "ce_subject",
            "content-type",
        ],
    }


def catalog_router(catalog: Catalog) -> APIRouter:
    """`GET /events/catalog.json`: for the gateway, outside /api/v1 and the OpenAPI document."""
    router = APIRouter(include_in_schema=False)
    document = catalog.asyncapi()  # models do not change while the process runs

    @router.get(CATALOG_PATH)
    async def event_catalog() -> JSONResponse:
        return JSONResponse(document)

    return router
