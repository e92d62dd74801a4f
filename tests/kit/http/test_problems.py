from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel

from firesafe_kit.http.middleware import RequestContextMiddleware
from firesafe_kit.http.problems import (
    PROBLEM_MEDIA_TYPE,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ProblemError,
    ServiceUnavailable,
    Text,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    install_problem_handlers,
    negotiate_language,
)


class HazardNotOpen(Conflict):
    code = "hazard_not_open"
    title_zh = "隐患不处于待整改状态"
    title_en = "The hazard is not open"


class Item(BaseModel):
    name: str
    count: int


CASES: list[tuple[type[ProblemError], int, str, str, str]] = [
    (BadRequest, 400, "bad_request", "请求无效", "Bad request"),
    (Unauthorized, 401, "unauthorized", "未认证", "Unauthorized"),
    (Forbidden, 403, "forbidden", "无权限", "Forbidden"),
    (NotFound, 404, "not_found", "资源不存在", "Not found"),
    (Conflict, 409, "conflict", "与资源当前状态冲突", "Conflict"),
    (PreconditionFailed, 412, "precondition_failed", "前置条件不满足", "Precondition failed"),
    (PayloadTooLarge, 413, "payload_too_large", "请求体过大", "Payload too large"),
    (
        UnsupportedMediaType,
        415,
        "unsupported_media_type",
        "不支持的媒体类型",
        "Unsupported media type",
    ),
    (Unprocessable, 422, "unprocessable", "无法处理的请求", "Unprocessable content"),
    (TooManyRequests, 429, "too_many_requests", "请求过于频繁", "Too many requests"),
    (ServiceUnavailable, 503, "service_unavailable", "服务暂不可用", "Service unavailable"),
    (HazardNotOpen, 409, "hazard_not_open", "隐患不处于待整改状态", "The hazard is not open"),
]


def build_app(*, with_context: bool = True) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    if with_context:
        app.add_middleware(RequestContextMiddleware, service="problems-test")
    by_name = {cls.__name__: cls for cls, *_ in CASES}

    @app.get("/raise/{name}")
    async def raise_problem(name: str) -> None:
        raise by_name[name]()

    @app.get("/chinese")
    async def chinese() -> None:
        raise HazardNotOpen("隐患 #12 已整改，无法再次指派")

    @app.get("/localized-detail")
    async def localized_detail() -> None:
        raise BadRequest(Text("月份格式应为 YYYY-MM", "month must be YYYY-MM"), code="bad_month")

    @app.get("/token")
    async def token() -> None:
        raise Unauthorized(code="token_expired")

    @app.get("/slow-down")
    async def slow_down() -> None:
        raise TooManyRequests(retry_after=7.2)

    @app.get("/http-exception")
    async def http_exception() -> None:
        raise HTTPException(status_code=404, detail="hazard 42 does not exist")

    @app.post("/items")
    async def create_item(item: Item) -> Item:
        return item

    @app.get("/search")
    async def search(limit: int = Query(ge=1, le=200)) -> dict[str, int]:
        return {"limit": limit}

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    return app


def client_for(app: FastAPI, *, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.mark.parametrize(("cls", "status", "code", "zh", "en"), CASES)
async def test_each_problem_status_in_both_languages(
    cls: type[ProblemError], status: int, code: str, zh: str, en: str
) -> None:
    async with client_for(build_app()) as client:
        default = await client.get(f"/raise/{cls.__name__}")
        english = await client.get(f"/raise/{cls.__name__}", headers={"Accept-Language": "en-US"})

    for response, lang, title in ((default, "zh-CN", zh), (english, "en", en)):
        assert response.status_code == status
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert response.headers["content-language"] == lang
        body = response.json()
        assert body["type"] == f"https://firesafe.example/problems/{code}"
        assert body["code"] == code
        assert body["status"] == status
        assert body["title"] == title
        assert body["detail"] == title
        assert body["instance"] == f"/raise/{cls.__name__}"
        assert body["request_id"] == response.headers["x-request-id"]
        assert "errors" not in body


async def test_unauthorized_challenges_and_too_many_requests_says_when() -> None:
    async with client_for(build_app()) as client:
        unauthorized = await client.get("/token", headers={"Accept-Language": "en"})
        slow = await client.get("/slow-down")
    assert unauthorized.status_code == 401
    assert unauthorized.headers["www-authenticate"] == "Bearer"
    assert unauthorized.json()["code"] == "token_expired"
    assert unauthorized.json()["title"] == "Access token expired"  # from the message catalog
    assert slow.status_code == 429
    assert slow.headers["retry-after"] == "8"


async def test_chinese_round_trips_as_utf8() -> None:
    async with client_for(build_app()) as client:
        response = await client.get("/chinese")
        localized = await client.get("/localized-detail", headers={"Accept-Language": "en"})
    assert "隐患 #12 已整改，无法再次指派".encode() in response.content  # not \u-escaped
    assert response.json()["detail"] == "隐患 #12 已整改，无法再次指派"
    assert localized.json()["detail"] == "month must be YYYY-MM"
    assert localized.json()["code"] == "bad_month"
    assert localized.json()["title"] == "Bad request"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("en-US", "en"),
        ("EN-gb,en;q=0.8", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en;q=0.5, zh-CN;q=0.9", "zh-CN"),
        ("zh-CN;q=0.4, en;q=0.6", "en"),
        ("fr-FR, en;q=0.3", "en"),
        ("fr-FR, de", "zh-CN"),
        ("en;q=0", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("*", "zh-CN"),
        ("en;q=abc, zh", "zh-CN"),
    ],
)
def test_negotiate_language(header: str | None, expected: str) -> None:
    assert negotiate_language(header) == expected


async def test_malformed_json_is_400_and_schema_violation_is_422() -> None:
    async with client_for(build_app()) as client:
        malformed = await client.post(
            "/items", content=b'{"name": "a",', headers={"Content-Type": "application/json"}
        )
        invalid = await client.post(
            "/items", json={"name": "灭火器", "count": "many"}, headers={"Accept-Language": "en"}
        )
        missing = await client.post("/items", json={"count": 1})
        bad_query = await client.get("/search", params={"limit": 0})

    assert malformed.status_code == 400
    assert malformed.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert malformed.json()["code"] == "malformed_json"
    assert "errors" not in malformed.json()

    assert invalid.status_code == 422
    body = invalid.json()
    assert body["code"] == "validation_failed"
    assert body["title"] == "Validation failed"
    assert [e["loc"] for e in body["errors"]] == [["body", "count"]]
    assert set(body["errors"][0]) == {"loc", "msg", "type"}  # no echo of the input
    assert body["errors"][0]["type"] == "int_parsing"

    assert missing.json()["errors"][0]["loc"] == ["body", "name"]
    assert missing.json()["errors"][0]["type"] == "missing"
    assert bad_query.status_code == 422
    assert bad_query.json()["errors"][0]["loc"] == ["query", "limit"]


async def test_unknown_route_404_and_wrong_method_405_with_allow() -> None:
    async with client_for(build_app()) as client:
        unknown = await client.get("/nowhere", headers={"Accept-Language": "en"})
        wrong_method = await client.delete("/items")
        custom = await client.get("/http-exception")

    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert unknown.json()["code"] == "not_found"
    assert unknown.json()["title"] == "Not found"
    assert unknown.json()["instance"] == "/nowhere"

    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    assert wrong_method.json()["code"] == "method_not_allowed"
    assert wrong_method.json()["title"] == "不支持该请求方法"

    assert custom.json()["detail"] == "hazard 42 does not exist"
    assert custom.json()["code"] == "not_found"


@pytest.mark.parametrize("with_context", [True, False])
async def test_unhandled_exception_is_500_without_internals(
    with_context: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_app(with_context=with_context)
    caplog.set_level(logging.ERROR, logger="firesafe.errors")
    # Without our middleware Starlette re-raises after answering (so servers log it).
    async with client_for(app, raise_app_exceptions=False) as client:
        response = await client.get("/crash", headers={"Accept-Language": "en"})

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["code"] == "internal_error"
    assert body["title"] == "Internal server error"
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert ("x-request-id" in response.headers) is with_context
    logged = [r for r in caplog.records if r.name == "firesafe.errors"]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], RuntimeError)


def test_errors_keep_only_loc_msg_type() -> None:
    problem = Unprocessable(
        errors=[{"loc": ("body", 0), "msg": "bad", "type": "x", "input": "PII"}]
    )
    assert problem.errors == [{"loc": ["body", 0], "msg": "bad", "type": "x"}]
