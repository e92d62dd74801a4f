"""Pure ASGI middleware (no BaseHTTPMiddleware: it buffers streams and breaks contextvars).

- RequestContextMiddleware: request id, trace context, metrics, access log, last-resort 500.
- BodyLimitMiddleware: 413 for bodies over the limit, declared or streamed.
- JsonContentTypeMiddleware: 415 for write requests whose body is not JSON.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firesafe_kit.http.problems import (
    PayloadTooLarge,
    Text,
    UnsupportedMediaType,
    internal_error,
    log_unhandled,
    problem_response_for_scope,
)
from firesafe_kit.observability.context import child_traceparent, request_id_var, traceparent_var
from firesafe_kit.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS

access_log = logging.getLogger("firesafe.access")

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Unknown methods are folded into one label so clients cannot grow the metric's cardinality.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"


def _route_template(scope: Scope) -> str:
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


class RequestContextMiddleware:
    """Put the outermost: its headers, metrics and 500 then cover every other layer."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming_id = headers.get("x-request-id", "")
        request_id = incoming_id if _SANE_REQUEST_ID.fullmatch(incoming_id) else uuid.uuid4().hex
        traceparent = child_traceparent(headers.get("traceparent"))
        scope.setdefault("state", {}).update(request_id=request_id, traceparent=traceparent)
        id_token = request_id_var.set(request_id)
        trace_token = traceparent_var.set(traceparent)

        status = 500
        started = False

        async def send_with_context(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                response_headers = MutableHeaders(scope=message)
                response_headers["X-Request-ID"] = request_id
                response_headers["traceparent"] = traceparent
            await send(message)

        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_context)
        except Exception as exc:
            log_unhandled(exc, scope["method"], scope["path"])
            if started:
                raise  # half a response is out: only dropping the connection is left
            # Handled here, not re-raised: the stack is logged and the client has its answer.
            await problem_response_for_scope(internal_error(), scope)(
                scope, receive, send_with_context
            )
        finally:
            duration = time.perf_counter() - start
            self._record(scope, status, duration, request_id)
            request_id_var.reset(id_token)
            traceparent_var.reset(trace_token)

    def _record(self, scope: Scope, status: int, duration: float, request_id: str) -> None:
        method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
        route = _route_template(scope)
        HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
        HTTP_LATENCY.labels(self.service, method, route).observe(duration)
        # Fields go in `extra`: the kit's structlog formatter renders them as one JSON line.
        access_log.info(
            "http_request",
            extra={
                "service": self.service,
                "method": scope["method"],
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(duration * 1000, 2),
                "request_id": request_id,
            },
        )


class BodyLimitMiddleware:
    """413 when Content-Length exceeds `max_bytes`, or when the streamed body does.

    On a streamed overflow the 413 is sent at once, the app is told the client disconnected,
    and whatever the app answers after that is dropped.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _problem(self) -> PayloadTooLarge:
        limit = self.max_bytes
        return PayloadTooLarge(
            Text(f"请求体不得超过 {limit} 字节", f"The request body may not exceed {limit} bytes")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            await problem_response_for_scope(self._problem(), scope)(scope, receive, send)
            return

        received = 0
        overflowed = False
        answered = False  # we sent the 413 ourselves
        started = False

        async def limited_receive() -> Message:
            nonlocal received, overflowed, answered
            if overflowed:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    overflowed = True
                    if not started:
                        answered = True
                        await problem_response_for_scope(self._problem(), scope)(
                            scope, receive, send
                        )
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if answered:
                return  # the app choked on the cut-off body; the client already has its 413
            raise


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json_media_type(content_type: str | None) -> bool:
    """application/json, application/merge-patch+json or any application/*+json, in UTF-8."""
    if not content_type:
        return False
    media, *params = (part.strip() for part in content_type.split(";"))
    kind, _, subtype = media.lower().partition("/")
    if kind != "application" or not (subtype == "json" or subtype.endswith("+json")):
        return False
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return True


class JsonContentTypeMiddleware:
    """415 for POST/PUT/PATCH with a non-empty body that is not JSON, except under
    `exempt_prefixes` (e.g. CSV imports)."""

    def __init__(self, app: ASGIApp, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _WRITE_METHODS
            or scope["path"].startswith(self.exempt_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type")
        if is_json_media_type(content_type):
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None:
            if length.strip() == "0":
                await self.app(scope, receive, send)
                return
        else:
            # No length (chunked): peek at the first chunk to learn whether there is a body.
            first = await receive()
            if first["type"] == "http.disconnect":
                return
            if not first.get("body") and not first.get("more_body", False):
                await self.app(scope, _replaying(first, receive), send)
                return
        given = content_type or "-"
        problem = UnsupportedMediaType(
            Text(
                f"请求体须为 application/json（收到 {given}）",
                f"The request body must be application/json (got {given})",
            )
        )
        await problem_response_for_scope(problem, scope)(scope, receive, send)


def _replaying(first: Message, receive: Receive) -> Receive:
    pending: list[Message] = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
