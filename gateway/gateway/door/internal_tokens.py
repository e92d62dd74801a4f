"""Internal tokens for API-key callers, minted once and reused for most of their life: the
signature is not computed per request, and the services' Idempotency-Key (which is scoped by
the Authorization header) keeps working across a key's requests within that time."""

from __future__ import annotations

import time
from collections.abc import Callable

from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.internal import mint_internal_token
from gateway.config import GatewaySettings
from gateway.door.ttl_cache import TtlCache

_MAX_CACHED = 10_000
# Reuse a token for this share of its lifetime; the rest is margin for the hop and clock skew.
_REUSE_SHARE = 0.8


class InternalTokens:
    def __init__(
        self, settings: GatewaySettings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._cache: TtlCache[str, str] = TtlCache(max_entries=_MAX_CACHED)

    def for_actor(self, actor: Actor) -> str:
        """`Bearer <token>` for `actor`, whose sub names one API key (immutable roles/scopes)."""
        cached = self._cache.get(actor.sub)
        if cached is not None:
            return cached
        now = self.clock()
        token, _expires = mint_internal_token(
            self.settings, self.settings.internal_token, actor, now=now
        )
        authorization = f"Bearer {token}"
        reuse_for = self.settings.internal_token.ttl_seconds * _REUSE_SHARE
        self._cache.put(actor.sub, authorization, ttl=reuse_for)
        return authorization
