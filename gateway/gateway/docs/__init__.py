"""The merged API documents: OpenAPI 3.1, interactive docs, AsyncAPI 3.0.

`router` must be included before the catch-all proxy. The gateway's FastAPI app turns off its
own `/openapi.json` and `/docs` (`FASTAPI_DOCS_OFF`): those would describe the gateway alone
and, registered first, would hide the merged `/docs`.
"""

from typing import Any

from gateway.docs.routes import ASYNCAPI_PATH, DOCS_PATH, OPENAPI_PATH, router

# FastAPI(...) arguments for the gateway app; `app.openapi()` still works without them.
FASTAPI_DOCS_OFF: dict[str, Any] = {"openapi_url": None, "docs_url": None, "redoc_url": None}

__all__ = ["ASYNCAPI_PATH", "DOCS_PATH", "FASTAPI_DOCS_OFF", "OPENAPI_PATH", "router"]
