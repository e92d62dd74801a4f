"""A merged document, built once for all concurrent callers and kept for a while.

Only a complete document is kept (every upstream answered): a partial one is rebuilt on the
next request, so a service that comes back shows up at once. A complete one is kept for
`CACHE_SECONDS`, so a service deployed with new routes shows up within that time without a
gateway restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

CACHE_SECONDS = 300.0

Document = dict[str, Any]
# Returns the document and whether it is complete.
Build = Callable[[], Awaitable[tuple[Document, bool]]]


class DocumentCache:
    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._lock = asyncio.Lock()
        self._document: Document | None = None
        self._expires = 0.0

    def _fresh(self) -> Document | None:
        return self._document if time.monotonic() < self._expires else None

    async def get(self, build: Build) -> Document:
        if (document := self._fresh()) is not None:
            return document
        async with self._lock:  # one build at a time: a burst of first requests fetches once
            if (document := self._fresh()) is not None:
                return document
            document, complete = await build()
            if complete:
                self._document, self._expires = document, time.monotonic() + self.ttl
            return document
