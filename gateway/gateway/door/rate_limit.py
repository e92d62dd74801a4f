"""Rate limits per principal (a user's `sub`, an API key) with the `limits` library.

The storage is a URI: `memory://` counts in this process only, which is right for one gateway
process; several replicas must share counters, e.g. `redis://host:6379` (needs the redis
client installed).

The default strategy is a fixed window per principal, started by its first request: one
counter, exact (`limit` requests, then 429 until the window ends), and `RateLimit-Reset` /
`Retry-After` say exactly when the full quota is back. Its known cost, up to twice the limit
across a window boundary, is accepted; `sliding-window-counter` smooths that (approximately),
`moving-window` is exact but keeps one entry per request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
from typing import cast

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.aio.strategies import RateLimiter as Strategy
from limits.errors import StorageError
from limits.storage import storage_from_string

log = logging.getLogger(__name__)

STRATEGIES: dict[str, Callable[[Storage], Strategy]] = {
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
    "moving-window": MovingWindowRateLimiter,
    "fixed-window": FixedWindowRateLimiter,
}


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the next request would be allowed again
    counted: bool = True  # False: the storage was unreachable, nothing is known

    def headers(self) -> dict[str, str]:
        """The IETF draft's RateLimit fields, sent on every answer to a limited principal."""
        if not self.counted:
            return {}
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


def async_storage_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


class RateLimiter:
    def __init__(self, storage_uri: str, strategy: str) -> None:
        # Unknown schemes fail here, at start-up, not at the first request.
        storage = storage_from_string(async_storage_uri(storage_uri), wrap_exceptions=True)
        self.storage = cast(Storage, storage)
        self.strategy = STRATEGIES[strategy](self.storage)
        self._items: dict[int, RateLimitItem] = {}

    def _item(self, per_minute: int) -> RateLimitItem:
        item = self._items.get(per_minute)
        if item is None:
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute)
        return item

    async def hit(self, principal: str, per_minute: int) -> RateDecision:
        item = self._item(per_minute)
        try:
            allowed = await self.strategy.hit(item, principal)
            stats = await self.strategy.get_window_stats(item, principal)
        except StorageError:
            # A shared storage that is down must not take the API down with it: let the
            # request through, uncounted, and say so in the log.
            log.warning("rate limit storage unavailable; request not counted", exc_info=True)
            return RateDecision(True, per_minute, per_minute, 60, counted=False)
        reset = max(0, ceil(stats.reset_time - time.time()))
        return RateDecision(
            allowed, per_minute, stats.remaining, reset if allowed else max(1, reset)
        )
