"""`/api/v1/openapi.json`, `/api/v1/asyncapi.json` and `/docs`: public, no credentials needed.

Both documents are fetched from the upstreams through the shared clients, merged, and cached
(`cache.py`). An upstream that does not answer leaves its part out and is listed in
`x-firesafe-missing` (200); when no upstream answers the answer is 503 problem+json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from firesafe_kit.events.catalog import CATALOG_PATH
from firesafe_kit.http.problems import NotFound, ProblemError
from gateway.docs.asyncapi import merge_asyncapi
from gateway.docs.cache import Document, DocumentCache
from gateway.docs.fetch import Fetched, fetch_all
from gateway.docs.openapi import merge_openapi

OPENAPI_PATH = "/api/v1/openapi.json"
ASYNCAPI_PATH = "/api/v1/asyncapi.json"
DOCS_PATH = "/docs"
SERVICE_OPENAPI_PATH = "/openapi.json"  # FastAPI's default in every service
ASSETS_PATH = "/docs/assets"
# Swagger UI 5 as the fastapi-offline package ships it (OpenAPI 3.1 needs Swagger UI 5).
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}
# Everything from this origin; the page's one inline script starts Swagger UI.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)

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
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title="Firesafe API",
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        swagger_ui_parameters={"persistAuthorization": True},
    )
    page.headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
    return page


@router.get(f"{ASSETS_PATH}/{{name}}")
async def swagger_asset(name: str) -> FileResponse:
    """Swagger UI's files, served by the gateway itself: no third-party host sees who reads
    the docs, and the docs work on a network without the internet."""
    if name not in ASSETS:
        raise NotFound(detail=f"{ASSETS_PATH}/{name}")
    return FileResponse(
        ASSETS_DIR / name,
        media_type=ASSETS[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _json(document: dict[str, Any]) -> JSONResponse:
    return JSONResponse(document, headers={"Cache-Control": "no-cache"})
