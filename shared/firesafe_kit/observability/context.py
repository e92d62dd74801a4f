"""Request-scoped context (request id, trace) visible to logs and to the outbox."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("firesafe_request_id", default=None)
traceparent_var: ContextVar[str | None] = ContextVar("firesafe_traceparent", default=None)

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def current_request_id() -> str | None:
    return request_id_var.get()


def current_traceparent() -> str | None:
    return traceparent_var.get()


def valid_traceparent(value: str | None) -> bool:
    if not value:
        return False
    match = _TRACEPARENT.match(value.strip().lower())
    if match is None:
        return False
    return match.group(1) != "0" * 32 and match.group(2) != "0" * 16


def child_traceparent(parent: str | None) -> str:
    """Continue the caller's trace with a new span id, or start a new sampled trace."""
    if parent and valid_traceparent(parent):
        trace_id, flags = parent.strip().lower().split("-")[1], parent.strip()[-2:]
        return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def trace_id(traceparent: str | None) -> str | None:
    return traceparent.split("-")[1] if traceparent and valid_traceparent(traceparent) else None
