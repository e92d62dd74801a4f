"""The services' event catalogs (AsyncAPI 3.0 fragments, one channel each) as one document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gateway.docs.components import merge_components, reachable

ASYNCAPI_VERSION = "3.0.0"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"

INFO = {
    "title": "Firesafe platform events (消防安全社区平台事件)",
    "version": "1.0.0",
    "description": (
        "One Kafka topic per service, `firesafe.<service>.v1`; the record key is the community "
        "id, so the events of one community keep their order. CloudEvents 1.0 in binary content "
        "mode: the attributes are `ce_*` record headers, the value is the event data as JSON. "
        "Delivery is at least once: consumers are idempotent on (`ce_source`, `ce_id`). Events "
        "carry no unmasked personal data. Within v1 fields may be added, never renamed or "
        "removed. A document built while a service was unreachable lists it in "
        "`x-firesafe-missing`."
    ),
}


def kafka_server(bootstrap_servers: str) -> dict[str, Any]:
    first = bootstrap_servers.split(",")[0].strip() or DEFAULT_BOOTSTRAP
    return {
        "host": "{bootstrap}",
        "protocol": "kafka",
        "description": (
            "Apache Kafka. Each deployment sets its brokers (KAFKA_BOOTSTRAP_SERVERS) and may "
            "prefix every topic name (FIRESAFE_TOPIC_PREFIX)."
        ),
        "variables": {"bootstrap": {"default": first, "description": "a bootstrap host:port"}},
    }


def merge_asyncapi(
    fragments: Mapping[str, Mapping[str, Any]],
    *,
    bootstrap_servers: str = "",
    missing: Sequence[str] = (),
) -> dict[str, Any]:
    """`fragments`: service -> the AsyncAPI document of its own channel (its catalog)."""
    namespace = merge_components(
        {name: dict(doc.get("components", {})) for name, doc in fragments.items()}
    )
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    # Channel ids are topic names and message ids event types, both unique per service by
    # contract, so only the component names needed prefixes.
    for name, doc in fragments.items():
        for channel_id, channel in doc.get("channels", {}).items():
            channels.setdefault(channel_id, namespace.rewrite(name, channel))
        for operation_id, operation in doc.get("operations", {}).items():
            operations.setdefault(operation_id, namespace.rewrite(name, operation))
    document: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": INFO,
        "defaultContentType": "application/json",
        "servers": {"kafka": kafka_server(bootstrap_servers)},
        "channels": channels,
        "operations": operations,
        "components": reachable(namespace.components, [channels, operations]),
    }
    if missing:
        document["x-firesafe-missing"] = sorted(missing)
    return document
