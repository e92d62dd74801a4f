"""Who is calling: a bearer JWT (verified with the kit's TokenVerifier: pinned algorithms,
issuer, audience, expiry; internal tokens refused) or an `X-API-Key`. Anything else is a 401.

What the services receive (`Caller.authorization`): a JWT caller's own `Authorization` header,
unchanged; for an API key, an internal token naming the key's roles and jurisdiction
(firesafe_kit.auth.internal). The services verify either and check roles and jurisdiction
themselves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.requests import Request

from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.jwt import TokenVerifier
from firesafe_kit.clock import utcnow
from firesafe_kit.http.problems import Unauthorized
from gateway.api_keys.errors import ApiKeyExpired, ApiKeyInvalid, ApiKeyRevoked
from gateway.api_keys.key_material import looks_like_key
from gateway.api_keys.lookup import ApiKeyLookup, KnownKey
from gateway.door.internal_tokens import InternalTokens
from gateway.door.problems import CredentialsConflict
from gateway.door.ttl_cache import TtlCache

API_KEY_HEADER = b"x-api-key"
_MAX_CACHED_TOKENS = 10_000


@dataclass(frozen=True)
class Caller:
    actor: Actor
    authorization: str  # the Authorization header the services receive (and verify again)
    principal: str  # rate-limit bucket: "user:<sub>" or "key:<id>"
    per_minute: int  # its rate limit


class Authenticator:
    def __init__(
        self,
        *,
        verifier: TokenVerifier,
        keys: ApiKeyLookup,
        internal_tokens: InternalTokens,
        default_per_minute: int,
        token_cache_seconds: float,
    ) -> None:
        self.verifier = verifier
        self.keys = keys
        self.internal_tokens = internal_tokens
        self.default_per_minute = default_per_minute
        self.token_cache_seconds = token_cache_seconds
        # Verified tokens: a repeat caller costs a dict lookup, not a signature check.
        self._tokens: TtlCache[str, Actor] = TtlCache(max_entries=_MAX_CACHED_TOKENS)

    async def authenticate(self, headers: Headers) -> Caller:
        authorization = headers.get("authorization")
        api_key = headers.get("x-api-key")
        if authorization is not None and api_key is not None:
            raise CredentialsConflict()
        if api_key is not None:
            return await self._by_key(api_key.strip())
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(code="token_missing")
        actor = await self._verified(token.strip())
        return Caller(
            actor=actor,
            authorization=authorization or "",
            principal=f"user:{actor.sub}",
            per_minute=self.default_per_minute,
        )

    async def _verified(self, token: str) -> Actor:
        cached = self._tokens.get(token)
        if cached is not None:
            return cached
        verified = await self.verifier.verify_token(token)
        # Never past the token's own expiry.
        ttl = min(self.token_cache_seconds, verified.expires_at - time.time())
        self._tokens.put(token, verified.actor, ttl=ttl)
        return verified.actor

    async def _by_key(self, api_key: str) -> Caller:
        known = await self.keys.find(api_key) if looks_like_key(api_key) else None
        if known is None:
            raise ApiKeyInvalid()
        if known.revoked:
            raise ApiKeyRevoked()
        if known.expires_at is not None and known.expires_at <= utcnow():
            raise ApiKeyExpired()
        self.keys.used(known)
        return self._key_caller(known)

    def _key_caller(self, known: KnownKey) -> Caller:
        return Caller(
            actor=known.actor,
            authorization=self.internal_tokens.for_actor(known.actor),
            principal=f"key:{known.id}",
            per_minute=known.rate_limit_per_minute,
        )


def upstream_authorization(request: Request) -> str:
    """The Authorization header for calls made to the services on this request's behalf (the
    proxy, the scorecards' fan-out): the caller's own bearer token or, for an API key, the
    internal token the door put in its place."""
    value = request.headers.get("authorization", "")
    if not value:
        raise Unauthorized(code="token_missing")
    return value
