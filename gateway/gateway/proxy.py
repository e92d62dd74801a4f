"""Forwards /api/v1/<segment>/... to the owning service: the path and query as the client sent
them, the body and the answer as bytes (nothing decoded or re-encoded), the caller's identity
as the door left it in `Authorization`, and this request's id and trace.

It is an ASGI dispatcher in front of the gateway's own routes rather than a catch-all route
behind them: a routed segment is one dict lookup away from its service, instead of a walk
through every route of the app (the gateway's own segments never appear in the routing table).
Anything else (the gateway's own routes, unknown segments) goes on to the app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from firesafe_kit.http.problems import ProblemError, problem_response_for_scope
from firesafe_kit.observability.context import current_request_id, current_traceparent
from gateway.config import API_PREFIX
from gateway.door.middleware import segment_of
from gateway.upstream_errors import UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable
from gateway.upstreams import RawHeaders, Upstream, UpstreamReply

# Re-exported: gateway modules imported these from here before upstream_errors existed.
__all__ = [
    "ProxyMiddleware",
    "UpstreamBadResponse",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]

# Headers of one connection, not of the message (RFC 9110 §7.6.1), and ones httpx sets itself.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
    }
)
# Replaced by the gateway's own (request id, trace, client address). Authorization goes as
# the door left it; the key itself never leaves the gateway.
_NOT_FORWARDED = _HOP_BY_HOP | {b"x-api-key", b"x-request-id", b"traceparent", b"x-forwarded-for"}
# The gateway's RequestContextMiddleware sets its own.
_NOT_RETURNED = _HOP_BY_HOP | {b"x-request-id", b"traceparent"}
# Printable ASCII but `#` (which would end the path): left as the client sent it, `%` included.
_RAW_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "#")


@dataclass(frozen=True)
class ProxiedRoute:
    """What the kit's request metrics and logs report as the route of a proxied request."""

    path: str


def _target(scope: Scope) -> str:
    """Path and query as received, escapes kept as they are; bytes that may not appear raw in
    a request target (controls, space, non-ASCII, `#`) percent-encoded one by one, so they
    reach the service as the client's bytes, not as a re-encoding of them."""
    path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    target = quote_from_bytes(path, safe=_RAW_SAFE)
    return f"{target}?{quote_from_bytes(query, safe=_RAW_SAFE)}" if query else target


def _forward_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    raw: list[tuple[bytes, bytes]] = scope["headers"]
    headers = [(name, value) for name, value in raw if name.lower() not in _NOT_FORWARDED]
    if not any(name.lower() == b"accept-encoding" for name, _ in headers):
        # httpx would ask for gzip; the body is passed through as is, so ask for what the
        # client can read.
        headers.append((b"accept-encoding", b"identity"))
    request_id, traceparent = current_request_id(), current_traceparent()
    if request_id:
        headers.append((b"x-request-id", request_id.encode("latin-1")))
    if traceparent:
        headers.append((b"traceparent", traceparent.encode("latin-1")))
    client = scope.get("client")
    if client:
        headers.append((b"x-forwarded-for", str(client[0]).encode("latin-1")))
    return headers


async def _read_body(receive: Receive) -> bytes | None:
    """The request body; None when the client went away first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _response(reply: UpstreamReply, *, head: bool) -> Response:
    response = Response(content=reply.body, status_code=reply.status)
    returned = [(n.lower(), v) for n, v in reply.headers if n.lower() not in _NOT_RETURNED]
    if head:  # the length of the body a GET would have sent, not of this empty one
        response.raw_headers = returned + _content_length(reply.headers)
    else:
        response.raw_headers.extend(returned)  # after the content-length Starlette computed
    return response


def _content_length(headers: RawHeaders) -> list[tuple[bytes, bytes]]:
    return [(n.lower(), v) for n, v in headers if n.lower() == b"content-length"]


class ProxyMiddleware:
    """Innermost middleware: requests whose segment is in `routes` go to the owning upstream
    (`get_upstreams()` is read per request: the upstreams open in the lifespan)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Mapping[str, str],
        get_upstreams: Callable[[], Mapping[str, Upstream]],
    ) -> None:
        self.app = app
        self.routes = routes
        self.get_upstreams = get_upstreams
        self._route_of = {
            segment: ProxiedRoute(f"{API_PREFIX}/{segment}/{{rest:path}}") for segment in routes
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        segment = segment_of(scope["path"]) if scope["type"] == "http" else None
        service = self.routes.get(segment) if segment is not None else None
        if service is None:
            await self.app(scope, receive, send)
            return
        assert segment is not None
        scope["route"] = self._route_of[segment]
        try:
            response = await self._forward(scope, receive, service, segment)
        except ProblemError as problem:
            response = problem_response_for_scope(problem, scope)
        if response is not None:
            await response(scope, receive, send)

    async def _forward(
        self, scope: Scope, receive: Receive, service: str, segment: str
    ) -> Response | None:
        upstream = self.get_upstreams().get(service)
        if upstream is None:  # the gateway is starting or stopping
            raise UpstreamUnavailable(headers={"Retry-After": "1"})
        body = await _read_body(receive)
        if body is None:
            return None
        method: str = scope["method"]
        reply = await upstream.send(
            method,
            _target(scope),
            headers=_forward_headers(scope),
            content=body,
            segment=segment,
        )
        return _response(reply, head=method == "HEAD")
