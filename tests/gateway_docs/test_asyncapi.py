"""`GET /api/v1/asyncapi.json`: one AsyncAPI 3.0 document of every service's topic, built from
the event catalogs the services serve."""

from __future__ import annotations

import json
from typing import Any

from firesafe_kit.events.catalog import dataschema_uri
from registry.events.published import CommunityEvent
from tests.gateway_docs.conftest import Gateway
from tests.gateway_docs.refs import all_refs, dangling, inline, resolve

ASYNCAPI = "/api/v1/asyncapi.json"
TOPICS = {
    "registry": "firesafe.registry.v1",
    "inspection": "firesafe.inspection.v1",
    "duty-roster": "firesafe.duty-roster.v1",
    "alerts": "firesafe.alerts.v1",
}
# Every type the registry publishes (its resource specs, station members, key-resident devices).
REGISTRY_TYPES = {
    f"firesafe.registry.{entity}.{verb}"
    for entity in [
        "district",
        "street",
        "community",
        "grid",
        "compound",
        "building",
        "premise",
        "station",
        "facility",
        "key_resident",
    ]
    for verb in ["created", "updated", "deleted"]
} | {
    "firesafe.registry.station.member.added",
    "firesafe.registry.station.member.removed",
    "firesafe.registry.key_resident.device.installed",
}
CE_HEADERS = {
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_specversion",
    "ce_time",
    "ce_subject",
    "ce_partitionkey",
    "ce_dataschema",
    "content-type",
    "traceparent",
}


async def document_of(gateway: Gateway) -> dict[str, Any]:
    response = await gateway.client.get(ASYNCAPI)
    assert response.status_code == 200, response.text
    return dict(response.json())


def headers_schema(message: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """The message's headers as one object schema (its allOf parts merged)."""
    schema = inline(message["headers"], document)
    merged: dict[str, Any] = {"properties": {}, "required": []}
    for part in schema.get("allOf", [schema]):
        for name, rule in part.get("properties", {}).items():
            merged["properties"][name] = {**merged["properties"].get(name, {}), **rule}
        merged["required"] += part.get("required", [])
    return merged


async def test_one_asyncapi_3_document_with_a_channel_and_send_operation_per_service(
    running_gateway: Gateway,
) -> None:
    document = await document_of(running_gateway)
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] and document["info"]["version"] == "1.0.0"
    assert "x-firesafe-missing" not in document
    assert document["servers"]["kafka"]["protocol"] == "kafka"
    assert document["servers"]["kafka"]["variables"]["bootstrap"]["default"]
    assert set(document["channels"]) == set(TOPICS.values())
    for channel_id, channel in document["channels"].items():
        assert channel["address"] == channel_id
    sends = [op for op in document["operations"].values() if op["action"] == "send"]
    assert sorted(resolve(document, op["channel"]["$ref"])["address"] for op in sends) == sorted(
        TOPICS.values()
    )
    for operation in sends:
        channel = resolve(document, operation["channel"]["$ref"])
        sent = [resolve(document, m["$ref"]) for m in operation["messages"]]
        assert sent == list(channel["messages"].values())  # every message, from its channel


async def test_every_registry_event_type_is_a_message_with_its_payload_schema(
    running_gateway: Gateway,
) -> None:
    document = await document_of(running_gateway)
    messages = document["channels"][TOPICS["registry"]]["messages"]
    assert {m["name"] for m in messages.values()} == REGISTRY_TYPES
    for message in messages.values():
        payload = inline(message["payload"], document)
        assert payload["type"] == "object" and payload["properties"], message["name"]
        assert message["contentType"] == "application/json"
        key = message["bindings"]["kafka"]["key"]
        assert key["type"] == "string" and "id" in key["description"]
    created = messages["firesafe.registry.community.created"]
    # Prefixing and hoisting changed names only: the schema means what the model says.
    model_schema = CommunityEvent.model_json_schema()
    expected = {k: v for k, v in inline(model_schema, model_schema).items() if k != "$defs"}
    assert inline(created["payload"], document) == expected
    assert "community id" in created["bindings"]["kafka"]["key"]["description"]


async def test_message_headers_are_the_cloudevents_binary_mode_headers(
    running_gateway: Gateway,
) -> None:
    document = await document_of(running_gateway)
    for message in document["channels"][TOPICS["registry"]]["messages"].values():
        headers = headers_schema(message, document)
        assert set(headers["properties"]) >= CE_HEADERS
        assert {"ce_id", "ce_source", "ce_type", "ce_specversion"} <= set(headers["required"])
        assert headers["properties"]["ce_type"]["const"] == message["name"]
        assert headers["properties"]["ce_source"]["const"] == "/firesafe/registry"
        assert headers["properties"]["ce_specversion"]["const"] == "1.0"
        assert headers["properties"]["content-type"]["const"] == "application/json"


async def test_every_reference_resolves_and_defs_are_hoisted(running_gateway: Gateway) -> None:
    document = await document_of(running_gateway)
    assert dangling(document) == []
    assert all(ref.startswith("#/") for ref in all_refs(document))
    assert '"$defs"' not in json.dumps(document)
    schemas = document["components"]["schemas"]
    assert all(
        name.startswith(("Registry_", "Inspection_", "DutyRoster_", "Alerts_"))
        or name == "CloudEventHeaders"  # the kit's, the same in every catalog
        for name in schemas
    )
    assert {"Registry_CommunityEvent", "Registry_StationMemberEvent"} <= set(schemas)


async def test_an_unreachable_service_is_left_out_and_named(running_gateway: Gateway) -> None:
    running_gateway.forget_documents()
    async with running_gateway.unreachable("inspection"):
        partial = await document_of(running_gateway)
    assert partial["x-firesafe-missing"] == ["inspection"]
    assert TOPICS["inspection"] not in partial["channels"]
    assert TOPICS["registry"] in partial["channels"] and dangling(partial) == []
    async with running_gateway.unreachable(*TOPICS):
        none = await running_gateway.client.get(ASYNCAPI)
    assert none.status_code == 503
    assert none.headers["content-type"].startswith("application/problem+json")


async def test_the_dataschema_of_every_event_resolves_in_the_merged_document(
    running_gateway: Gateway,
) -> None:
    document = await document_of(running_gateway)
    checked = 0
    for service, topic in TOPICS.items():
        for event_type in document["channels"][topic]["messages"]:
            uri = dataschema_uri(service, event_type)
            path, _, pointer = uri.partition("#")
            assert path == "/api/v1/asyncapi.json"
            assert resolve(document, "#" + pointer)["name"] == event_type
            checked += 1
    assert checked >= 33 + 5  # the registry's and the alerts service's events at least
