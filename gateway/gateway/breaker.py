"""A circuit breaker per upstream: after `failure_threshold` consecutive failures the circuit
opens and calls are refused at once (no connection attempt, no waiting for a timeout); after
`reset_seconds` one trial call is let through (half-open): its success closes the circuit,
its failure opens it again for another `reset_seconds`.

Failures are the upstream being unreachable or slow (connection errors, timeouts), not its
4xx/5xx answers: a service that answers is up, whatever it says.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable


class CircuitState(enum.IntEnum):
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitOpen(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"circuit open, retry in {retry_after:.1f}s")
        self.retry_after = retry_after


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self.monotonic = monotonic
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._trial_in_flight or self._cool_down_left() <= 0:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    def _cool_down_left(self) -> float:
        assert self._opened_at is not None
        return self._opened_at + self.reset_seconds - self.monotonic()

    def acquire(self) -> None:
        """Before a call: returns when the call may go ahead, raises CircuitOpen otherwise."""
        if self._opened_at is None:
            return
        left = self._cool_down_left()
        if left > 0:
            raise CircuitOpen(left)
        if self._trial_in_flight:
            # One trial at a time: the others are refused until it has shown the way.
            raise CircuitOpen(self.reset_seconds)
        self._trial_in_flight = True

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial_in_flight or self._failures >= self.failure_threshold:
            self._opened_at = self.monotonic()
        self._trial_in_flight = False

    def release(self) -> None:
        """A call ended without telling anything about the upstream (e.g. it was cancelled)."""
        self._trial_in_flight = False
