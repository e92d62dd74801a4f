"""Forwards /api/v1/<segment>/... to the owning service, mapping upstream trouble to
problem+json (503/504/502 with Retry-After) instead of a 500 or a hang."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request, Response

from firesafe_kit.http.problems import ProblemError
from firesafe_kit.observability.context import current_request_id, current_traceparent

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class UnknownRoute(ProblemError):
    status = 404
    code = "route_not_found"
    title_zh = "没有这个资源"
    title_en = "No such resource"


class UpstreamUnavailable(ProblemError):
    status = 503
    code = "upstream_unavailable"
    title_zh = "上游服务暂不可用"
    title_en = "Upstream service unavailable"


class UpstreamTimeout(ProblemError):
    status = 504
    code = "upstream_timeout"
    title_zh = "上游服务响应超时"
    title_en = "Upstream service timed out"


class UpstreamBadResponse(ProblemError):
    status = 502
    code = "upstream_bad_response"
    title_zh = "上游服务响应异常"
    title_en = "Bad response from upstream service"


router = APIRouter()


def _forward_headers(request: Request) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
    headers["x-request-id"] = current_request_id() or headers.get("x-request-id", "")
    headers["traceparent"] = current_traceparent() or headers.get("traceparent", "")
    headers["x-forwarded-for"] = request.client.host if request.client else ""
    return {k: v for k, v in headers.items() if v}


@router.api_route("/api/v1/{segment}", methods=_METHODS, include_in_schema=False)
@router.api_route("/api/v1/{segment}/{rest:path}", methods=_METHODS, include_in_schema=False)
async def forward(request: Request, segment: str) -> Response:
    service = request.app.state.settings.routes.get(segment)
    if service is None:
        raise UnknownRoute(detail=f"/api/v1/{segment}")
    upstream = request.app.state.upstreams[service]
    try:
        upstream_response = await upstream.client.request(
            request.method,
            request.url.path,
            params=request.query_params.multi_items(),
            content=await request.body(),
            headers=_forward_headers(request),
        )
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout(detail=service, headers={"Retry-After": "5"}) from exc
    except httpx.TransportError as exc:
        raise UpstreamUnavailable(detail=service, headers={"Retry-After": "5"}) from exc
    headers = {
        k: v
        for k, v in upstream_response.headers.items()
        if k.lower() not in _HOP_BY_HOP and k.lower() not in {"x-request-id", "traceparent"}
    }
    return Response(
        content=upstream_response.content,
        status_code=upstream_response.status_code,
        headers=headers,
    )
