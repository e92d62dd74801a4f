"""One JSON document from every upstream at once, through the gateway's shared clients."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from firesafe_kit.observability.context import current_request_id, current_traceparent
from gateway.upstreams import Upstream

log = logging.getLogger(__name__)

# Documents are small and local; a service that needs longer is reported missing, so one slow
# upstream cannot hold the whole document for the client's full read timeout.
FETCH_SECONDS = 5.0


@dataclass(frozen=True)
class Fetched:
    documents: dict[str, dict[str, Any]]  # service -> its document
    missing: list[str]  # services that did not answer with one


async def fetch_all(upstreams: Mapping[str, Upstream], path: str) -> Fetched:
    names = sorted(upstreams)
    results = await asyncio.gather(*(_fetch(upstreams[n], path) for n in names))
    found = dict(zip(names, results, strict=True))
    return Fetched(
        documents={name: doc for name, doc in found.items() if doc is not None},
        missing=[name for name, doc in found.items() if doc is None],
    )


async def _fetch(upstream: Upstream, path: str) -> dict[str, Any] | None:
    context = {"x-request-id": current_request_id(), "traceparent": current_traceparent()}
    headers = {name: value for name, value in context.items() if value}
    try:
        async with asyncio.timeout(FETCH_SECONDS):
            response = await upstream.client.get(path, headers=headers)
        document = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, TimeoutError, ValueError) as exc:  # ValueError: not JSON
        log.warning("no %s from %s: %r", path, upstream.name, exc)
        return None
    if not isinstance(document, dict):
        log.warning("no %s from %s: status %s", path, upstream.name, response.status_code)
        return None
    return document
