"""ETags from (id, version) and the `If-Match` precondition of updates (stale → 412)."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

from fastapi import Header

from firesafe_kit.http.problems import PreconditionFailed

IfMatch = Annotated[str | None, Header(alias="If-Match")]

# One entity tag of a list: optional W/, then a quoted opaque tag (which may hold commas).
_ENTITY_TAG = re.compile(r'\s*(?:W/)?("[^"]*"|[^,\s"]+)\s*(?:,|$)')


def etag_for(resource_id: str, version: int) -> str:
    """A strong, quoted ETag. Hashed, so any id yields valid `etagc` characters."""
    digest = hashlib.sha256(f"{resource_id}\x00{version}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _opaque(tag: str) -> str:
    return tag if tag.startswith('"') else f'"{tag}"'


def parse_if_match(value: str) -> list[str] | None:
    """The quoted tags of an If-Match value (`W/` dropped, bare tokens quoted); None for `*`."""
    if value.strip() == "*":
        return None
    return [_opaque(match.group(1)) for match in _ENTITY_TAG.finditer(value) if match.group(1)]


def check_if_match(if_match: str | None, current: str) -> None:
    """Pass when the header is absent (or blank), `*`, or lists the current tag; else 412.

    `W/` is ignored on purpose: our tags are derived from the version alone, so a weak copy
    (a compressing proxy weakens ETags) still names exactly one version of the resource.
    """
    if if_match is None or not if_match.strip():
        return
    tags = parse_if_match(if_match)
    if tags is None or _opaque(current.removeprefix("W/")) in tags:
        return
    raise PreconditionFailed(code="etag_mismatch")
