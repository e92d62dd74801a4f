"""The merge rules on small documents: names, references, examples, routing, security."""

from __future__ import annotations

from typing import Any

from gateway.docs.openapi import merge_openapi
from tests.gateway_docs.refs import dangling, inline

ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def service(path: str, body: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A service document with one POST taking `body`, answering a Box or the error."""
    operation = {
        "operationId": "create",
        "requestBody": {"content": {"application/json": body}},
        "responses": {
            "201": {"content": {"application/json": {"schema": ref("Box")}}},
            "422": {"content": {"application/json": {"schema": ref("Error")}}},
        },
        "security": [{"HTTPBearer": []}],
    }
    return {
        "openapi": "3.1.0",
        "paths": {path: {"post": operation}},
        "components": {"schemas": schemas, "securitySchemes": {"HTTPBearer": {"type": "http"}}},
    }


def thing(kind: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"kind": {"type": kind}}, "required": ["kind"]}


def merge() -> dict[str, Any]:
    own = {
        "openapi": "3.1.0",
        "paths": {"/api/v1/scorecards/x": {"get": {"operationId": "create", "security": []}}},
    }
    alpha = service(
        "/api/v1/things",
        {"schema": ref("Thing")},
        {"Thing": thing("string"), "Error": ERROR, "Box": {"items": ref("Thing")}, "Unused": {}},
    )
    alpha["paths"]["/api/v1/internal"] = {"get": {"responses": {}}}
    beta = service(
        "/api/v1/gadgets",
        {"schema": ref("Thing"), "example": {"kind": 7}},
        {"Thing": thing("integer"), "Error": ERROR, "Box": {"items": ref("Thing")}},
    )
    routes = {"things": "alpha", "gadgets": "beta", "scorecards": "gateway"}
    return merge_openapi(own, {"alpha": alpha, "beta": beta}, routes, missing=["gamma"])


def test_names_are_prefixed_per_service_and_identical_shapes_kept_once() -> None:
    document = merge()
    schemas = document["components"]["schemas"]
    # Box is the same text in both, but means a different Thing in each; Unused is left out.
    assert set(schemas) == {"Alpha_Thing", "Beta_Thing", "Alpha_Box", "Beta_Box", "Error"}
    assert dangling(document) == []
    post = document["paths"]["/api/v1/gadgets"]["post"]
    assert inline(post["requestBody"]["content"]["application/json"]["schema"], document) == (
        thing("integer")
    )
    assert schemas["Alpha_Box"]["items"] == ref("Alpha_Thing")


def test_examples_given_are_kept_and_missing_ones_made_from_the_schema() -> None:
    document = merge()
    given = document["paths"]["/api/v1/gadgets"]["post"]["requestBody"]["content"]
    made = document["paths"]["/api/v1/things"]["post"]["requestBody"]["content"]
    assert given["application/json"]["example"] == {"kind": 7}
    assert made["application/json"]["example"] == {"kind": "string"}


def test_only_forwarded_paths_one_security_and_unique_operation_ids() -> None:
    document = merge()
    assert set(document["paths"]) == {"/api/v1/scorecards/x", "/api/v1/things", "/api/v1/gadgets"}
    assert document["x-firesafe-missing"] == ["gamma"]
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "apiKey"}
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert [op.get("security") for op in operations] == [[], None, None]  # [] = public
    assert sorted(op["operationId"] for op in operations) == [
        "alpha_create",
        "beta_create",
        "create",
    ]
