"""JSON Merge Patch (RFC 7396), the PATCH format of the API."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError


def merge_patch(target: Any, patch: Any) -> Any:
    """`patch` applied to `target`: objects merge member by member, null removes a member,
    anything else (arrays included) replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def body_validation_error(exc: ValidationError) -> RequestValidationError:
    """Pydantic errors of a merged PATCH document, reported like any body error (422)."""
    return RequestValidationError(
        [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
    )
