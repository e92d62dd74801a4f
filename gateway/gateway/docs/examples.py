"""Request-body examples made from the schema where the service gave none, so that Swagger UI's
"Try it out" starts from a plausible body. Examples the services wrote always win."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SAMPLE_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
_FORMATS = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T08:00:00+08:00",
    "time": "08:00:00",
    "uuid": SAMPLE_ID,
    "uri": "https://example.org/",
    "email": "someone@example.org",
}
_MAX_DEPTH = 8  # recursive shapes end here


def add_body_examples(operation: dict[str, Any], schemas: Mapping[str, Any]) -> None:
    """Give each JSON request body of `operation` an `example` if it has none (in place)."""
    body = operation.get("requestBody")
    if not isinstance(body, dict):
        return
    for media_type, media in body.get("content", {}).items():
        if "json" not in media_type or "example" in media or "examples" in media:
            continue
        example = example_of(media.get("schema"), schemas)
        if isinstance(example, dict) and example:  # an open object ({}) shows nothing useful
            media["example"] = example


def example_of(schema: Any, schemas: Mapping[str, Any], *, name: str = "", depth: int = 0) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if schema.get("examples"):
        return schema["examples"][0]
    for given in ("example", "const", "default"):
        if given in schema:
            return schema[given]
    if schema.get("enum"):
        return schema["enum"][0]
    if "$ref" in schema:
        target = schemas.get(schema["$ref"].rsplit("/", 1)[-1])
        return example_of(target, schemas, name=name, depth=depth + 1)
    choices = schema.get("anyOf") or schema.get("oneOf") or []
    options = [option for option in choices if not _is_null(option)]
    if options:
        return example_of(options[0], schemas, name=name, depth=depth + 1)
    if "allOf" in schema:
        parts = [example_of(p, schemas, name=name, depth=depth + 1) for p in schema["allOf"]]
        return {k: v for part in parts if isinstance(part, dict) for k, v in part.items()}
    return _by_type(schema, schemas, name, depth)


def _by_type(schema: dict[str, Any], schemas: Mapping[str, Any], name: str, depth: int) -> Any:
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        return {
            prop: example_of(sub, schemas, name=prop, depth=depth + 1)
            for prop, sub in schema.get("properties", {}).items()
            if prop in required or _has_example(sub)
        }
    if kind == "array":
        item = example_of(schema.get("items"), schemas, name=name, depth=depth + 1)
        return [] if item is None else [item]
    if kind == "string":
        return _string(schema, name)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return True
    return None


def _string(schema: dict[str, Any], name: str) -> str:
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    if name == "id" or name.endswith("_id"):
        return SAMPLE_ID
    text = "string".ljust(schema.get("minLength", 0), "x")
    return text[: schema.get("maxLength", len(text))]


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _has_example(schema: Any) -> bool:
    """Optional fields join the example only when their schema shows a value for them."""
    if not isinstance(schema, dict):
        return False
    if "examples" in schema or "example" in schema:
        return True
    return any(_has_example(option) for option in schema.get("anyOf", []))
