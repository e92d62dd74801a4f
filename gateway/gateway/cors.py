"""CORS from the allow-list in the settings (none: no CORS headers at all). `*` together with
credentials is refused by the settings at start-up. A refused preflight is problem+json."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from firesafe_kit.http.problems import BadRequest, Text, problem_response
from gateway.config import GatewaySettings

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ALLOWED_HEADERS = (
    "Authorization",
    "X-API-Key",
    "Content-Type",
    "Accept-Language",
    "Idempotency-Key",
    "If-Match",
    "X-Request-ID",
    "traceparent",
)
# Response headers a browser script may read.
EXPOSED_HEADERS = (
    "Location",
    "ETag",
    "Retry-After",
    "X-Request-ID",
    "traceparent",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Idempotent-Replayed",
)


class ProblemCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        reason = bytes(response.body).decode("utf-8", "replace")
        problem = BadRequest(Text(f"跨域预检被拒绝：{reason}", reason), code="cors_refused")
        return problem_response(
            problem, accept_language=request_headers.get("accept-language"), instance=None
        )


def install_cors(app: FastAPI, settings: GatewaySettings) -> None:
    if not settings.cors_allow_origins:
        return
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=settings.cors_allow_origins,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
    )
