"""`/api/v1/openapi.json`, `/api/v1/asyncapi.json` and `/docs`: public, no credentials needed.

Both documents are fetched from the upstreams through the shared clients, merged, and cached
(`cache.py`). An upstream that does not answer leaves its part out and is listed in
`x-firesafe-missing` (200); when no upstream answers the answer is 503 problem+json.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from firesafe_kit.events.catalog import CATALOG_PATH
from firesafe_kit.http.problems import ProblemError
from gateway.docs.asyncapi import merge_asyncapi
from gateway.docs.cache import Document, DocumentCache
from gateway.docs.fetch import Fetched, fetch_all
from gateway.docs.openapi import merge_openapi

OPENAPI_PATH = "/api/v1/openapi.json"
ASYNCAPI_PATH = "/api/v1/asyncapi.json"
DOCS_PATH = "/docs"
SERVICE_OPENAPI_PATH = "/openapi.json"  # FastAPI's default in every service

router = APIRouter(include_in_schema=False)


class NoUpstreamDocuments(ProblemError):
    status = 503
    code = "upstream_unavailable"
    title_zh = "上游服务均不可用，无法生成文档"
    title_en = "No upstream service answered; the document cannot be built"


def _cache(request: Request, name: str) -> DocumentCache:
    # Kept on the app, not the module: each gateway app (and each test) has its own.
    caches: dict[str, DocumentCache] | None = getattr(request.app.state, "docs_caches", None)
    if caches is None:
        caches = request.app.state.docs_caches = {}
    return caches.setdefault(name, DocumentCache())


async def _fetch(request: Request, path: str) -> Fetched:
    fetched = await fetch_all(request.app.state.upstreams, path)
    if not fetched.documents:
        raise NoUpstreamDocuments(detail=", ".join(fetched.missing), headers={"Retry-After": "5"})
    return fetched


@router.get(OPENAPI_PATH)
async def openapi_document(request: Request) -> JSONResponse:
    async def build() -> tuple[Document, bool]:
        fetched = await _fetch(request, SERVICE_OPENAPI_PATH)
        routes = request.app.state.settings.routes
        own = request.app.openapi()
        return merge_openapi(own, fetched.documents, routes, fetched.missing), not fetched.missing

    document = await _cache(request, "openapi").get(build)
    # The origin the caller reached, so "Try it out" calls the same gateway.
    origin = str(request.base_url).rstrip("/")
    return _json({**document, "servers": [{"url": origin, "description": "this gateway"}]})


@router.get(ASYNCAPI_PATH)
async def asyncapi_document(request: Request) -> JSONResponse:
    async def build() -> tuple[Document, bool]:
        fetched = await _fetch(request, CATALOG_PATH)
        bootstrap = request.app.state.settings.kafka_bootstrap_servers
        merged = merge_asyncapi(
            fetched.documents, bootstrap_servers=bootstrap, missing=fetched.missing
        )
        return merged, not fetched.missing

    return _json(await _cache(request, "asyncapi").get(build))


@router.get(DOCS_PATH)
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title="Firesafe API",
        swagger_ui_parameters={"persistAuthorization": True},
    )


def _json(document: dict[str, Any]) -> JSONResponse:
    return JSONResponse(document, headers={"Cache-Control": "no-cache"})
