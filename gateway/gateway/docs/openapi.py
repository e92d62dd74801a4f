"""The services' OpenAPI documents and the gateway's own as one OpenAPI 3.1 document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gateway.docs.components import Components, merge_components, reachable
from gateway.docs.examples import add_body_examples

OPENAPI_VERSION = "3.1.0"
GATEWAY = "gateway"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

INFO = {
    "title": "Firesafe platform API (消防安全社区平台)",
    "version": "1.0.0",
    "description": (
        "One origin for the registry, inspection, duty-roster and alerts services and the "
        "gateway's own scorecards and API keys. Authenticate with `Authorization: Bearer <JWT>` "
        "or an `X-API-Key`. Lists page with `limit` and `cursor`; writes carry `ETag` and take "
        "`If-Match`; creates take `Idempotency-Key`; errors are `application/problem+json` in "
        "zh-CN or en (`Accept-Language`). The events the services publish are described by the "
        "AsyncAPI document at `/api/v1/asyncapi.json`. A document built while a service was "
        "unreachable lists it in `x-firesafe-missing`."
    ),
}
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "claims sub, name, roles, jurisdiction; issuer and audience are checked",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "a key issued by a city_admin at /api/v1/api-keys",
    },
}
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKey": []}]  # either one


def merge_openapi(
    own: Mapping[str, Any],
    services: Mapping[str, Mapping[str, Any]],
    routes: Mapping[str, str],
    missing: Sequence[str] = (),
) -> dict[str, Any]:
    """`own`: the gateway app's document; `services`: name -> its document; `routes`: the
    gateway's routing table (first segment after /api/v1/ -> service)."""
    sources = {GATEWAY: own, **services}
    namespace = merge_components({name: _components(doc) for name, doc in sources.items()})
    schemas = namespace.components.get("schemas", {})
    paths: dict[str, Any] = {}
    operation_ids: set[str] = set()
    for name, doc in sources.items():  # the gateway first: its routes answer before the proxy
        for path, item in doc.get("paths", {}).items():
            if path in paths or not _routed(name, path, routes):
                continue
            paths[path] = namespace.rewrite(name, item)
            for method in METHODS:
                if isinstance(operation := paths[path].get(method), dict):
                    _tidy(operation, name, operation_ids, schemas)
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": INFO,
        "servers": [{"url": "/", "description": "the gateway"}],
        "paths": paths,
        "components": {
            **reachable(namespace.components, paths),
            "securitySchemes": SECURITY_SCHEMES,
        },
        "security": SECURITY,
    }
    if missing:
        document["x-firesafe-missing"] = sorted(missing)
    return document


def _components(doc: Mapping[str, Any]) -> Components:
    # The gateway's two schemes replace whatever a source declared (see `_tidy`).
    found = doc.get("components", {})
    return {k: dict(v) for k, v in found.items() if k != "securitySchemes" and isinstance(v, dict)}


def _routed(source: str, path: str, routes: Mapping[str, str]) -> bool:
    """A service's path is documented only if the gateway forwards it to that service."""
    if source == GATEWAY:
        return True
    segments = path.split("/")
    return path.startswith("/api/v1/") and routes.get(segments[3]) == source


def _tidy(
    operation: dict[str, Any], source: str, seen: set[str], schemas: Mapping[str, Any]
) -> None:
    # Requirements naming a source's own schemes would dangle; the global ones apply instead.
    # An explicit `[]` (no authentication) names nothing and stays.
    if operation.get("security"):
        del operation["security"]
    operation_id = operation.get("operationId")
    if isinstance(operation_id, str):
        if operation_id in seen:
            operation["operationId"] = operation_id = f"{source}_{operation_id}"
        seen.add(operation_id)
    add_body_examples(operation, schemas)
