"""`GET /api/v1/openapi.json`: one OpenAPI 3.1 document for the whole platform, public, with
every service's paths meaning what they mean in the service's own document."""

from __future__ import annotations

import re
from typing import Any

from tests.gateway_docs.conftest import SERVICES, Gateway
from tests.gateway_docs.refs import dangling, inline

OPENAPI = "/api/v1/openapi.json"
# API.md "Resources by service", registry.
REGISTRY_COLLECTIONS = [
    "/districts",
    "/streets",
    "/communities",
    "/grids",
    "/compounds",
    "/buildings",
    "/premises",
    "/stations",
    "/facilities",
    "/key-residents",
]
PREFIXES = ("Registry_", "Inspection_", "DutyRoster_", "Alerts_", "Gateway_")


def shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def meaning(operation: dict[str, Any], document: dict[str, Any]) -> Any:
    """What an operation takes and gives, references inlined: equal in two documents iff a
    reader learns the same from both, whatever the components are called."""
    body = operation.get("requestBody", {}).get("content", {})
    return inline(
        {
            "parameters": operation.get("parameters", []),
            "body": {media: content.get("schema") for media, content in body.items()},
            "responses": {
                status: {m: c.get("schema") for m, c in answer.get("content", {}).items()}
                for status, answer in operation.get("responses", {}).items()
            },
        },
        document,
    )


async def merged(gateway: Gateway) -> dict[str, Any]:
    response = await gateway.client.get(OPENAPI)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def own_documents(gateway: Gateway) -> dict[str, dict[str, Any]]:
    """Each service's document as the service serves it, and the gateway's own."""
    documents = {"gateway": gateway.app.openapi()}
    for name in SERVICES:
        response = await gateway.app.state.upstreams[name].client.get("/openapi.json")
        documents[name] = response.json()
    return documents


async def test_one_openapi_3_1_document_with_every_registry_path(
    running_gateway: Gateway,
) -> None:
    document = await merged(running_gateway)
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"] == "1.0.0"
    assert document["info"]["description"]
    assert document["paths"] and document["components"]["schemas"]
    assert "x-firesafe-missing" not in document
    paths = {shape(p): item for p, item in document["paths"].items()}
    for collection in REGISTRY_COLLECTIONS:
        assert {"get", "post"} <= set(paths[f"/api/v1{collection}"]), collection
        assert {"get", "patch", "delete"} <= set(paths[f"/api/v1{collection}/{{}}"]), collection
    assert {"get", "post"} <= set(paths["/api/v1/stations/{}/members"])
    assert "delete" in paths["/api/v1/stations/{}/members/{}"]
    # The proxy's catch-all is not an API path.
    assert not [p for p in document["paths"] if "{segment}" in p or "{rest" in p]


async def test_every_reference_resolves_and_no_component_names_collide(
    running_gateway: Gateway,
) -> None:
    document = await merged(running_gateway)
    assert dangling(document) == []
    sources = await own_documents(running_gateway)
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        if name.startswith(PREFIXES):
            continue
        # Kept unprefixed: every source that defines it means the same by it.
        for source, own in sources.items():
            if name in own.get("components", {}).get("schemas", {}):
                assert inline(own["components"]["schemas"][name], own) == inline(
                    schema, document
                ), (name, source)


async def test_every_forwarded_path_means_what_it_means_in_its_service(
    running_gateway: Gateway,
) -> None:
    """Merging renamed components and rewrote references; nothing a client relies on moved."""
    document = await merged(running_gateway)
    routes = running_gateway.app.state.settings.routes
    for source, own in (await own_documents(running_gateway)).items():
        for path, item in own.get("paths", {}).items():
            segment = path.split("/")[3] if path.startswith("/api/v1/") else ""
            if source != "gateway" and routes.get(segment) != source:
                assert path not in document["paths"], f"{path} is not forwarded to {source}"
                continue
            for method, operation in item.items():
                assert meaning(document["paths"][path][method], document) == meaning(
                    operation, own
                ), (source, method, path)


async def test_gateway_origin_security_schemes_and_global_security(
    running_gateway: Gateway,
) -> None:
    document = await merged(running_gateway)
    assert document["servers"][0]["url"] == "http://gw"
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["bearerAuth"]["bearerFormat"] == "JWT"
    assert schemes["apiKey"] == {
        **schemes["apiKey"],
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert {"bearerAuth": []} in document["security"] and {"apiKey": []} in document["security"]
    referenced = {name for requirement in document["security"] for name in requirement}
    for item in document["paths"].values():
        for operation in item.values():
            for requirement in operation.get("security", []):
                referenced |= set(requirement)
    assert referenced <= set(schemes)


async def test_every_json_request_body_has_an_example_that_fits_its_schema(
    running_gateway: Gateway,
) -> None:
    document = await merged(running_gateway)
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is None:
                continue
            schema = inline(media["schema"], document)
            if not schema.get("properties"):
                continue  # an open object: nothing to show
            example = media.get("example")
            assert isinstance(example, dict), (method, path)
            assert set(schema.get("required", [])) <= set(example), (method, path)
            for name, value in example.items():
                allowed = schema["properties"][name].get("enum")
                assert allowed is None or value in allowed, (method, path, name)
            checked += 1
    assert checked >= len(REGISTRY_COLLECTIONS)


async def test_an_unreachable_service_is_left_out_and_named_until_it_is_back(
    running_gateway: Gateway,
) -> None:
    running_gateway.forget_documents()
    async with running_gateway.unreachable("alerts"):
        partial = await merged(running_gateway)
    assert partial["x-firesafe-missing"] == ["alerts"]
    assert "/api/v1/communities" in partial["paths"]
    assert dangling(partial) == []
    # A partial document is not kept: the next request has the service again.
    assert "x-firesafe-missing" not in await merged(running_gateway)


async def test_no_service_reachable_is_503_problem_with_retry_after(
    running_gateway: Gateway,
) -> None:
    running_gateway.forget_documents()
    async with running_gateway.unreachable(*SERVICES):
        response = await running_gateway.client.get(OPENAPI)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["code"] == "upstream_unavailable"


async def test_a_complete_document_is_cached(running_gateway: Gateway) -> None:
    running_gateway.forget_documents()
    first = await merged(running_gateway)
    async with running_gateway.unreachable(*SERVICES):
        again = await merged(running_gateway)  # served without asking any service
    assert again == first


async def test_interactive_docs_load_the_merged_document_without_credentials(
    running_gateway: Gateway,
) -> None:
    page = await running_gateway.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in page.text and f"'{OPENAPI}'" in page.text
    # Swagger UI comes from the gateway itself, never from another host.
    assert "http://" not in page.text and "https://" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css")):
        served = await running_gateway.client.get(f"/docs/assets/{asset}")
        assert served.status_code == 200 and kind in served.headers["content-type"]
        assert f"/docs/assets/{asset}" in page.text
    assert (await running_gateway.client.get("/docs/assets/..%2Fconsts.py")).status_code == 404
    for path in (OPENAPI, "/api/v1/asyncapi.json"):
        response = await running_gateway.client.get(path)  # the client sends no credentials
        assert response.status_code == 200, (path, response.text)
    # ... while the door is shut for the data itself.
    assert (await running_gateway.client.get("/api/v1/communities")).status_code == 401
    # FastAPI's own document would describe the gateway alone; it is off.
    assert (await running_gateway.client.get("/openapi.json")).status_code == 404
