"""RFC 9457 problem+json errors, localized to zh-CN or en by `Accept-Language`.

Every error the platform answers is one shape::

    {"type": "https://firesafe.example/problems/<code>", "title": "...", "status": 409,
     "detail": "...", "instance": "/api/v1/hazards/…", "code": "<code>",
     "errors": [{"loc": [...], "msg": "...", "type": "..."}],   # validation only
     "request_id": "…"}

`type` is always `PROBLEM_TYPE_BASE + code`: the stable `code` is what clients branch on, and a
per-code URI (rather than `about:blank`) lets the type be documented. `detail` is always a
string; when the raiser gave none it repeats the title.

A domain error is a five-line subclass::

    class HazardNotOpen(Conflict):
        code = "hazard_not_open"
        title_zh = "隐患不处于待整改状态"
        title_en = "The hazard is not open"
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from math import ceil
from typing import Any, Literal, TypedDict, Unpack

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from firesafe_kit.observability.context import current_request_id

PROBLEM_TYPE_BASE = "https://firesafe.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

Language = Literal["zh-CN", "en"]
DEFAULT_LANGUAGE: Language = "zh-CN"

log = logging.getLogger("firesafe.errors")


@dataclass(frozen=True)
class Text:
    """A message in both languages of the platform."""

    zh: str
    en: str

    def get(self, lang: Language) -> str:
        return self.en if lang == "en" else self.zh


# Titles of codes that are raised through the generic classes (`Unauthorized(code=...)`).
# Keyed by message key, which defaults to the code.
MESSAGES: dict[str, Text] = {
    "not_found": Text("资源不存在", "Not found"),
    "method_not_allowed": Text("不支持该请求方法", "Method not allowed"),
    "validation_failed": Text("请求内容未通过校验", "Validation failed"),
    "malformed_json": Text("请求体不是有效的 JSON", "Malformed JSON body"),
    "internal_error": Text("服务器内部错误", "Internal server error"),
    "token_missing": Text("缺少访问令牌", "Access token missing"),
    "token_expired": Text("访问令牌已过期", "Access token expired"),
    "token_invalid": Text("访问令牌无效", "Access token invalid"),
    "token_audience": Text("访问令牌的受众不符", "Access token audience mismatch"),
    "token_issuer": Text("访问令牌的签发方不符", "Access token issuer mismatch"),
    "token_claims": Text("访问令牌的声明无效", "Access token claims invalid"),
    "jwks_unavailable": Text("暂时无法获取令牌验证密钥", "Token signing keys unavailable"),
    "forbidden_role": Text("当前角色无权执行此操作", "Your role does not allow this action"),
    "invalid_cursor": Text("分页游标无效", "Invalid pagination cursor"),
    "etag_mismatch": Text(
        "资源已被他人修改，请刷新后重试", "The resource has changed; reload it and retry"
    ),
    "invalid_idempotency_key": Text("幂等键无效", "Invalid Idempotency-Key"),
    "idempotency_key_reused": Text(
        "幂等键已用于另一个不同的请求", "Idempotency-Key was used for a different request"
    ),
    "idempotency_request_in_progress": Text(
        "使用该幂等键的请求仍在处理中", "A request with this Idempotency-Key is in progress"
    ),
}


class ProblemOptions(TypedDict, total=False):
    code: str
    errors: Sequence[Mapping[str, Any]]
    headers: Mapping[str, str]
    title: Text
    message_key: str


class ProblemError(Exception):
    """An error answered as problem+json. Subclass it, or raise it with `code=`/`status=`."""

    status: int = 500
    code: str = "internal_error"
    title_zh: str = "服务器内部错误"
    title_en: str = "Internal server error"

    def __init__(
        self,
        detail: str | Text | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        title: Text | None = None,
        message_key: str | None = None,
    ) -> None:
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.detail = detail
        self.errors: list[dict[str, Any]] = [_error_item(e) for e in errors or ()]
        self.headers: dict[str, str] = dict(headers or {})
        self.message_key = message_key or self.code
        self._title = title
        super().__init__(f"{self.code}: {detail.en if isinstance(detail, Text) else detail}")

    def title(self, lang: Language) -> str:
        if self._title is not None:
            return self._title.get(lang)
        # A code given at raise time names its title in the catalog; a subclass carries its own.
        if self.message_key != type(self).code and self.message_key in MESSAGES:
            return MESSAGES[self.message_key].get(lang)
        return self.title_en if lang == "en" else self.title_zh

    def body(
        self, lang: Language, *, instance: str | None, request_id: str | None
    ) -> dict[str, Any]:
        title = self.title(lang)
        detail = self.detail.get(lang) if isinstance(self.detail, Text) else self.detail
        body: dict[str, Any] = {
            "type": f"{PROBLEM_TYPE_BASE}{self.code}",
            "title": title,
            "status": self.status,
            "detail": detail or title,
            "instance": instance,
            "code": self.code,
        }
        if self.errors:
            body["errors"] = self.errors
        if request_id:
            body["request_id"] = request_id
        return body


def _error_item(error: Mapping[str, Any]) -> dict[str, Any]:
    # Only these three keys: pydantic's `input` and `ctx` may echo personal data back.
    return {
        "loc": list(error.get("loc", ())),
        "msg": str(error.get("msg", "")),
        "type": str(error.get("type", "")),
    }


class BadRequest(ProblemError):
    status = 400
    code = "bad_request"
    title_zh = "请求无效"
    title_en = "Bad request"


class Unauthorized(ProblemError):
    status = 401
    code = "unauthorized"
    title_zh = "未认证"
    title_en = "Unauthorized"

    def __init__(self, detail: str | Text | None = None, **options: Unpack[ProblemOptions]) -> None:
        super().__init__(detail, **options)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(ProblemError):
    status = 403
    code = "forbidden"
    title_zh = "无权限"
    title_en = "Forbidden"


class NotFound(ProblemError):
    status = 404
    code = "not_found"
    title_zh = "资源不存在"
    title_en = "Not found"


class Conflict(ProblemError):
    status = 409
    code = "conflict"
    title_zh = "与资源当前状态冲突"
    title_en = "Conflict"


class PreconditionFailed(ProblemError):
    status = 412
    code = "precondition_failed"
    title_zh = "前置条件不满足"
    title_en = "Precondition failed"


class PayloadTooLarge(ProblemError):
    status = 413
    code = "payload_too_large"
    title_zh = "请求体过大"
    title_en = "Payload too large"


class UnsupportedMediaType(ProblemError):
    status = 415
    code = "unsupported_media_type"
    title_zh = "不支持的媒体类型"
    title_en = "Unsupported media type"


class Unprocessable(ProblemError):
    status = 422
    code = "unprocessable"
    title_zh = "无法处理的请求"
    title_en = "Unprocessable content"


class TooManyRequests(ProblemError):
    status = 429
    code = "too_many_requests"
    title_zh = "请求过于频繁"
    title_en = "Too many requests"

    def __init__(
        self,
        detail: str | Text | None = None,
        *,
        retry_after: float = 1,
        **options: Unpack[ProblemOptions],
    ) -> None:
        super().__init__(detail, **options)
        self.headers["Retry-After"] = str(max(1, ceil(retry_after)))


class ServiceUnavailable(ProblemError):
    status = 503
    code = "service_unavailable"
    title_zh = "服务暂不可用"
    title_en = "Service unavailable"

    def __init__(
        self,
        detail: str | Text | None = None,
        *,
        retry_after: float | None = None,
        **options: Unpack[ProblemOptions],
    ) -> None:
        super().__init__(detail, **options)
        if retry_after is not None:
            self.headers["Retry-After"] = str(max(1, ceil(retry_after)))


# ----------------------------------------------------------------------------- language


def negotiate_language(accept_language: str | None) -> Language:
    """Pick zh-CN or en from an Accept-Language header (q-values honoured, zh-CN by default)."""
    best: tuple[float, int, Language] | None = None
    for index, part in enumerate((accept_language or "").split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        lang = _language_of(tag.lower())
        if lang is None or quality <= 0:
            continue
        # Highest q wins; on a tie the earlier entry (the client's own order) wins.
        candidate = (-quality, index, lang)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else DEFAULT_LANGUAGE


def _language_of(tag: str) -> Language | None:
    if tag == "en" or tag.startswith("en-"):
        return "en"
    if tag == "zh" or tag.startswith("zh-") or tag == "*":
        return "zh-CN"
    return None


# ----------------------------------------------------------------------------- rendering


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE  # JSON is UTF-8 by definition: no charset parameter


def problem_response(
    problem: ProblemError,
    *,
    accept_language: str | None,
    instance: str | None,
    request_id: str | None = None,
) -> Response:
    """The one renderer: exception handlers and ASGI middleware both answer through it."""
    lang = negotiate_language(accept_language)
    headers = {**problem.headers, "Content-Language": lang, "Vary": "Accept-Language"}
    body = problem.body(lang, instance=instance, request_id=request_id or current_request_id())
    return ProblemResponse(body, status_code=problem.status, headers=headers)


def problem_response_for_scope(problem: ProblemError, scope: Scope) -> Response:
    """Render for an ASGI scope (middleware has no Request); the result is an ASGI app."""
    headers = Headers(scope=scope)
    return problem_response(
        problem, accept_language=headers.get("accept-language"), instance=scope.get("path")
    )


def _for_request(problem: ProblemError, request: Request) -> Response:
    return problem_response(
        problem,
        accept_language=request.headers.get("accept-language"),
        instance=request.url.path,
    )


# ----------------------------------------------------------------------------- conversions


def internal_error() -> ProblemError:
    """The 500 every unhandled exception becomes; it says nothing about the cause."""
    return ProblemError(status=500, code="internal_error")


def log_unhandled(exc: BaseException, method: str, path: str) -> None:
    log.error(
        "unhandled exception",
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"method": method, "path": path},
    )


def problem_from_http_exception(exc: StarletteHTTPException) -> ProblemError:
    status = exc.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = _STATUS_CODES.get(status) or re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")
    title = MESSAGES.get(code) or _STATUS_TITLES.get(status) or Text(phrase, phrase)
    # Starlette's default detail is the bare phrase: replace it by the localized title.
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return ProblemError(
        None if detail == phrase else detail,
        status=status,
        code=code,
        title=title,
        headers=exc.headers,
    )


def problem_from_validation_error(exc: RequestValidationError) -> ProblemError:
    errors = list(exc.errors())
    malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        loc = list(malformed.get("loc", ()))
        position = loc[-1] if loc and isinstance(loc[-1], int) else None
        detail = (
            Text("请求体不是有效的 JSON", "The request body is not valid JSON")
            if position is None
            else Text(
                f"请求体不是有效的 JSON（第 {position} 个字符附近）",
                f"The request body is not valid JSON (near character {position})",
            )
        )
        return BadRequest(detail, code="malformed_json")
    count = len(errors)
    return Unprocessable(
        Text(f"{count} 处内容未通过校验", f"{count} field(s) failed validation"),
        code="validation_failed",
        errors=errors,
    )


_STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}

_STATUS_TITLES: dict[int, Text] = {
    cls.status: Text(cls.title_zh, cls.title_en)
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        Unprocessable,
        TooManyRequests,
        ServiceUnavailable,
    )
}


# ----------------------------------------------------------------------------- handlers


async def _problem_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return _for_request(exc, request)


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (204, 304):  # no body allowed
        return Response(status_code=exc.status_code, headers=exc.headers)
    return _for_request(problem_from_http_exception(exc), request)


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return _for_request(problem_from_validation_error(exc), request)


async def _unhandled_handler(request: Request, exc: Exception) -> Response:
    log_unhandled(exc, request.method, request.url.path)
    return _for_request(internal_error(), request)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer ProblemError, HTTPException (404/405/…), validation errors and any other
    exception as problem+json. Malformed JSON is a 400 `malformed_json`, a schema violation a
    422 `validation_failed`; anything unexpected is a 500 `internal_error` logged with its stack.
    """
    app.add_exception_handler(ProblemError, _problem_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(Exception, _unhandled_handler)
