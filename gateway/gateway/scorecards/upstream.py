"""Reads from the services on behalf of the caller of this request.

The caller's identity goes along as the door established it (a JWT caller's own
`Authorization`, an internal token for an API key), so each service applies the caller's
jurisdiction itself: the gateway never reads with more rights than its caller. The request
id, trace context and language go along too.

Upstream trouble becomes the gateway's problem+json errors: unreachable 503, slow 504,
nonsense 502, all with Retry-After; a refusal meant for the caller (401, 403, 404, 422, 429)
reaches the caller as the service worded it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import Request

from firesafe_kit.http.problems import ProblemError, Text
from firesafe_kit.observability.context import current_request_id, current_traceparent
from gateway.door.identity import upstream_authorization
from gateway.upstream_errors import UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
SEGMENT = "scorecards"  # the upstream metrics label of these reads

# Far beyond any real district (pages hold up to 1,000 communities): a guard against a loop.
MAX_PAGES = 100
_PASSED_THROUGH = frozenset({400, 401, 403, 404, 422, 429})
_KEPT_HEADERS = ("www-authenticate", "retry-after")


def upstream_trouble(problem: type[ProblemError], service: str) -> ProblemError:
    """One of the gateway's 502/503/504 problems for `service`, with Retry-After."""
    detail = Text(f"服务 {service} 暂时无法回答", f"The {service} service cannot answer now")
    return problem(detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class UpstreamRefused(ProblemError):
    """A service's refusal of the caller, answered with the service's own status and words."""

    def __init__(self, response: httpx.Response) -> None:
        body = _json_or_none(response)
        problem = body if isinstance(body, dict) else {}
        title = str(problem.get("title") or response.reason_phrase or "Error")
        detail = problem.get("detail")
        errors = problem.get("errors")
        super().__init__(
            str(detail) if detail else None,
            status=response.status_code,
            code=str(problem.get("code") or f"upstream_{response.status_code}"),
            title=Text(title, title),  # already in the caller's language (Accept-Language)
            errors=errors if isinstance(errors, list) else None,
            headers={k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS},
        )


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class UpstreamReader:
    def __init__(self, request: Request) -> None:
        self._upstreams: Mapping[str, Any] = getattr(request.app.state, "upstreams", {})
        headers = {
            "accept": "application/json",
            "authorization": upstream_authorization(request),
            "accept-language": request.headers.get("accept-language", ""),
            "x-request-id": current_request_id() or request.headers.get("x-request-id", ""),
            "traceparent": current_traceparent() or request.headers.get("traceparent", ""),
        }
        self._headers = [
            (name.encode(), value.encode("latin-1")) for name, value in headers.items() if value
        ]

    def has(self, service: str) -> bool:
        return service in self._upstreams

    async def get_json(self, service: str, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        """One read through the upstream's guarded path (`Upstream.send`): its circuit
        breaker, deadline, retries of a failed connection and metrics, as proxied calls get."""
        upstream = self._upstreams.get(service)
        if upstream is None:
            raise upstream_trouble(UpstreamUnavailable, service)
        reply = await upstream.send(
            "GET",
            f"{path}?{urlencode(params)}" if params else path,
            headers=self._headers,
            content=b"",
            segment=SEGMENT,
        )
        response = httpx.Response(reply.status, headers=reply.headers, content=reply.body)
        if response.status_code == 200:
            body = _json_or_none(response)
            if isinstance(body, dict):
                return body
        elif response.status_code in _PASSED_THROUGH:
            raise UpstreamRefused(response)
        log.warning(
            "scorecard source answered badly",
            extra={"service": service, "path": path, "status": response.status_code},
        )
        if response.status_code == 503:
            raise upstream_trouble(UpstreamUnavailable, service)
        if response.status_code == 504:
            raise upstream_trouble(UpstreamTimeout, service)
        raise upstream_trouble(UpstreamBadResponse, service)

    async def pages(
        self, service: str, path: str, params: Mapping[str, str]
    ) -> AsyncIterator[dict[str, Any]]:
        """Every page of a `{"items": [...], "next_cursor": ...}` list, following the cursor
        only while the service says there is more."""
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = await self.get_json(
                service, path, {**params, **({"cursor": cursor} if cursor else {})}
            )
            yield page
            cursor = page.get("next_cursor")
            if not cursor:
                return
            if not isinstance(cursor, str) or cursor in seen:
                break
            seen.add(cursor)
        log.warning("scorecard source pages without end", extra={"service": service, "path": path})
        raise upstream_trouble(UpstreamBadResponse, service)
