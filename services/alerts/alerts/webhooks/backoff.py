"""How long a failed delivery waits before its next attempt."""

from __future__ import annotations

import random
from collections.abc import Callable

# Up to this fraction is taken off each delay, so that deliveries which failed together (a
# receiver's outage) do not all come back in the same instant.
JITTER = 0.2


def backoff_seconds(
    failed_attempts: int,
    *,
    base: float,
    maximum: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """base, 2·base, 4·base, … after the 1st, 2nd, 3rd failure, capped at `maximum`, less up to
    JITTER of itself (never above the cap, never below (1 - JITTER) of the plain delay)."""
    exponent = min(max(failed_attempts - 1, 0), 62)  # 2**62 s is past any cap; no overflow
    delay = min(base * 2.0**exponent, maximum)
    return delay * (1.0 - JITTER * rand())
