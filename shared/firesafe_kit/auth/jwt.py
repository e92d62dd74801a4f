"""Bearer token verification: HS256 in development, RS256/ES256 against a JWKS in production.

The accepted algorithms are pinned by configuration, never taken from the token: with a
JWKS URL only RS256/ES256 pass (so an HS256 token signed with the public key cannot), without
one only HS256. Issuer, audience, exp, iat and sub are always required.

Tokens the gateway mints for API-key callers (`kid` = `firesafe-internal`, see internal.py)
are verified on a path of their own: HS256 with the internal secret and the internal issuer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from firesafe_kit.auth.actor import ROLES, Actor, Scope
from firesafe_kit.auth.internal import INTERNAL_ALGORITHM, INTERNAL_KEY_ID, InternalTokenSettings
from firesafe_kit.http.problems import ServiceUnavailable, Unauthorized
from firesafe_kit.settings import KitSettings

log = logging.getLogger(__name__)

HS_ALGORITHMS = ("HS256",)
JWKS_ALGORITHMS = ("RS256", "ES256")
# An unknown kid triggers a refetch (key rotation), but no more often than this.
JWKS_REFETCH_INTERVAL_SECONDS = 10.0
_INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'
# The `via` claim of internal tokens names how the gateway authenticated the caller.
_VIA = re.compile(r"[a-z_]{1,20}")


@dataclass(frozen=True)
class VerifiedToken:
    actor: Actor
    expires_at: float  # the `exp` claim: a cache of verified tokens must not outlive it


def _refuse(code: str) -> Unauthorized:
    headers = {} if code == "token_missing" else {"WWW-Authenticate": _INVALID_TOKEN_CHALLENGE}
    return Unauthorized(code=code, headers=headers)


class _JwksCache:
    """The JWKS keys by kid, fetched when stale or when a kid is unknown (key rotation), but
    never more than once per JWKS_REFETCH_INTERVAL_SECONDS, failures included."""

    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient,
        *,
        cache_seconds: float,
        monotonic: Callable[[], float],
    ) -> None:
        self.url = url
        self.http = http
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self.keys: dict[str | None, jwt.PyJWK] = {}
        self.fetched_at: float | None = None
        self.attempted_at: float | None = None
        self.fetches = 0
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK | None:
        stale = self.fetched_at is None or self.monotonic() - self.fetched_at >= self.cache_seconds
        if stale or self._lookup(kid) is None:
            await self._refresh()
        if not self.keys:
            raise ServiceUnavailable(code="jwks_unavailable", retry_after=5)
        return self._lookup(kid)

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is not None:
            return self.keys.get(kid)
        # No kid: acceptable only when the set leaves no doubt which key is meant.
        return next(iter(self.keys.values())) if len(self.keys) == 1 else None

    async def _refresh(self) -> None:
        async with self._lock:
            now = self.monotonic()
            last = self.attempted_at
            if last is not None and now - last < JWKS_REFETCH_INTERVAL_SECONDS:
                return  # fetched (or tried) moments ago, perhaps by a request we waited for
            self.attempted_at = now
            self.fetches += 1
            try:
                response = await self.http.get(self.url, headers={"Accept": "application/json"})
                response.raise_for_status()
                keys = _parse_jwks(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                # Cached keys, if any, stay in use until a fetch succeeds.
                log.warning("JWKS fetch failed", exc_info=exc)
                return
            self.keys = keys
            self.fetched_at = now


def _parse_jwks(document: Any) -> dict[str | None, jwt.PyJWK]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK set")
    keys: dict[str | None, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue  # a key type we cannot use must not hide the others
        if key.algorithm_name in JWKS_ALGORITHMS:
            keys[key.key_id] = key
    if not keys:
        raise ValueError("the JWK set has no RS256/ES256 signing key")
    return keys


class TokenVerifier:
    """Verifies bearer tokens into Actors. Keep one per app (`app.state.token_verifier`).

    `internal` defaults to the environment's InternalTokenSettings. The gateway's own verifier
    passes `accept_internal=False`: internal tokens are for the hop to a service, not a way in.
    """

    def __init__(
        self,
        settings: KitSettings,
        http: httpx.AsyncClient | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        internal: InternalTokenSettings | None = None,
        accept_internal: bool = True,
    ) -> None:
        self.settings = settings
        internal = internal if internal is not None else InternalTokenSettings()
        self._internal_issuer = internal.issuer
        self._internal_secret = internal.signing_secret(settings) if accept_internal else None
        self._own_http = http is None and bool(settings.jwks_url)
        self._jwks: _JwksCache | None = None
        if settings.jwks_url:
            client = http or httpx.AsyncClient(timeout=httpx.Timeout(5.0))
            self._jwks = _JwksCache(
                settings.jwks_url,
                client,
                cache_seconds=settings.jwks_cache_seconds,
                monotonic=monotonic,
            )

    @property
    def algorithms(self) -> tuple[str, ...]:
        return JWKS_ALGORITHMS if self._jwks else HS_ALGORITHMS

    async def aclose(self) -> None:
        if self._own_http and self._jwks is not None:
            await self._jwks.http.aclose()

    async def verify(self, token: str) -> Actor:
        return (await self.verify_token(token)).actor

    async def verify_token(self, token: str) -> VerifiedToken:
        """The caller of a bearer token, and until when the token is valid."""
        if not token:
            raise _refuse("token_missing")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _refuse("token_invalid") from exc
        if header.get("kid") == INTERNAL_KEY_ID:
            return self._verify_internal(token, header.get("alg"))
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:  # includes "none"
            raise _refuse("token_invalid")
        key = await self._key(algorithm, header.get("kid"))
        claims = self._decode(token, key, algorithm, issuer=self.settings.jwt_issuer)
        return VerifiedToken(actor_from_claims(claims), float(claims["exp"]))

    def _verify_internal(self, token: str, algorithm: Any) -> VerifiedToken:
        if self._internal_secret is None or algorithm != INTERNAL_ALGORITHM:
            raise _refuse("token_invalid")
        claims = self._decode(
            token, self._internal_secret, INTERNAL_ALGORITHM, issuer=self._internal_issuer
        )
        via = claims.get("via")
        actor = dataclasses.replace(
            actor_from_claims(claims),
            via=via if isinstance(via, str) and _VIA.fullmatch(via) else "internal",
        )
        return VerifiedToken(actor, float(claims["exp"]))

    async def _key(self, algorithm: str, kid: Any) -> jwt.PyJWK | str:
        if self._jwks is None:
            return str(self.settings.jwt_secret)
        if kid is not None and not isinstance(kid, str):
            raise _refuse("token_invalid")
        key = await self._jwks.key(kid)
        # The key, not the token, says which algorithm it is for.
        if key is None or key.algorithm_name != algorithm:
            raise _refuse("token_invalid")
        return key

    def _decode(
        self, token: str, key: jwt.PyJWK | str, algorithm: str, *, issuer: str
    ) -> dict[str, Any]:
        settings = self.settings
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=settings.jwt_audience,
                issuer=issuer,
                leeway=settings.jwt_leeway_seconds,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _refuse("token_expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise _refuse("token_audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise _refuse("token_issuer") from exc
        except jwt.MissingRequiredClaimError as exc:
            code = {"iss": "token_issuer", "aud": "token_audience"}.get(exc.claim, "token_claims")
            raise _refuse(code) from exc
        except jwt.PyJWTError as exc:  # bad signature, malformed, not yet valid, bad key, …
            raise _refuse("token_invalid") from exc


def actor_from_claims(claims: Mapping[str, Any]) -> Actor:
    """The Actor of verified claims; `roles` and `jurisdiction` must be well formed."""
    sub, name = claims.get("sub"), claims.get("name", claims.get("sub"))
    roles, scopes = claims.get("roles"), claims.get("jurisdiction")
    if not isinstance(sub, str) or not sub or not isinstance(name, str):
        raise _refuse("token_claims")
    if not isinstance(roles, list) or not all(isinstance(r, str) and r in ROLES for r in roles):
        raise _refuse("token_claims")
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise _refuse("token_claims")
    try:
        jurisdiction = tuple(dict.fromkeys(Scope.parse(s) for s in scopes))
    except ValueError as exc:
        raise _refuse("token_claims") from exc
    return Actor(sub=sub, name=name, roles=frozenset(roles), jurisdiction=jurisdiction)


def mint_token(
    settings: KitSettings,
    *,
    sub: str,
    name: str,
    roles: Iterable[str],
    jurisdiction: Iterable[str | Scope],
    ttl_seconds: int = 3600,
) -> str:
    """An HS256 token signed with the settings' secret (development and tests only)."""
    role_list = list(roles)
    unknown = sorted(set(role_list) - ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {unknown}")
    scope_list = [str(s if isinstance(s, Scope) else Scope.parse(s)) for s in jurisdiction]
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": sub,
        "name": name,
        "roles": role_list,
        "jurisdiction": scope_list,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
