"""Internal tokens: how the gateway vouches, to the services, for a caller it authenticated
itself (an `X-API-Key`). A service verifies them with its TokenVerifier like any bearer token
and then checks roles and jurisdiction as usual.

- HS256 only, signed with `FIRESAFE_INTERNAL_TOKEN_SECRET`. Without it, user tokens' HS256
  secret `FIRESAFE_JWT_SECRET` signs them (development and tests: whoever holds that secret can
  mint any token already). With a JWKS (production) user tokens are RS256/ES256 and the
  internal secret must be set; until it is, internal tokens are refused (and the gateway
  refuses to start, since it could not vouch for API-key callers).
- Issuer `FIRESAFE_INTERNAL_TOKEN_ISSUER` (`firesafe-gateway`), never the user tokens' issuer;
  audience `FIRESAFE_JWT_AUDIENCE`; the header's `kid` is `firesafe-internal`, which selects
  this verification path (the key and algorithm are still pinned, never read from the token).
- Short-lived (`FIRESAFE_INTERNAL_TOKEN_TTL_SECONDS`, 300 s): only the gateway holds them, it
  hands them to services and never to a client.
"""

from __future__ import annotations

import time

import jwt
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from firesafe_kit.auth.actor import Actor
from firesafe_kit.settings import KitSettings

INTERNAL_KEY_ID = "firesafe-internal"
INTERNAL_ALGORITHM = "HS256"


class InternalTokenSettings(BaseSettings):
    """Read from the environment by every service (its TokenVerifier) and by the gateway."""

    model_config = SettingsConfigDict(
        env_file=None, extra="ignore", populate_by_name=True, frozen=True
    )

    secret: str = Field(default="", repr=False, validation_alias="FIRESAFE_INTERNAL_TOKEN_SECRET")
    issuer: str = Field(
        default="firesafe-gateway", min_length=1, validation_alias="FIRESAFE_INTERNAL_TOKEN_ISSUER"
    )
    ttl_seconds: int = Field(
        default=300, ge=30, le=3600, validation_alias="FIRESAFE_INTERNAL_TOKEN_TTL_SECONDS"
    )

    def signing_secret(self, settings: KitSettings) -> str | None:
        """The HS256 secret of internal tokens; None when there is none (JWKS, no secret)."""
        if self.secret:
            return self.secret
        return None if settings.jwks_url else settings.jwt_secret


def mint_internal_token(
    settings: KitSettings,
    internal: InternalTokenSettings,
    actor: Actor,
    *,
    now: float | None = None,
) -> tuple[str, float]:
    """A token for `actor` that the services accept; returns it with its expiry (epoch s)."""
    secret = internal.signing_secret(settings)
    if secret is None:
        raise RuntimeError("no internal token secret: set FIRESAFE_INTERNAL_TOKEN_SECRET")
    issued = int(now if now is not None else time.time())
    expires = issued + internal.ttl_seconds
    claims = {
        "iss": internal.issuer,
        "aud": settings.jwt_audience,
        "sub": actor.sub,
        "name": actor.name,
        "roles": sorted(actor.roles),
        "jurisdiction": [str(scope) for scope in actor.jurisdiction],
        "via": actor.via,
        "iat": issued,
        "exp": expires,
    }
    token = jwt.encode(
        claims, secret, algorithm=INTERNAL_ALGORITHM, headers={"kid": INTERNAL_KEY_ID}
    )
    return token, float(expires)
