"""The door's decision for one request: who is calling and whether they may call now."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers

from gateway.door.identity import Authenticator, Caller
from gateway.door.problems import RateLimited
from gateway.door.rate_limit import RateDecision, RateLimiter


@dataclass(frozen=True)
class Admission:
    caller: Caller
    rate: RateDecision


class Door:
    def __init__(self, *, authenticator: Authenticator, limiter: RateLimiter) -> None:
        self.authenticator = authenticator
        self.limiter = limiter

    async def admit(self, headers: Headers) -> Admission:
        """Raises a 401 problem (no or bad credentials) or a 429 (over the caller's limit)."""
        caller = await self.authenticator.authenticate(headers)
        rate = await self.limiter.hit(caller.principal, caller.per_minute)
        if not rate.allowed:
            raise RateLimited(
                f"{rate.limit} requests per minute",
                retry_after=rate.reset_seconds,
                headers=rate.headers(),
            )
        return Admission(caller, rate)
