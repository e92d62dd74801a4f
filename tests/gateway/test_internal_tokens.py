"""The internal tokens the gateway mints for API-key callers: the services' TokenVerifier
accepts them on their own pinned path (HS256, internal secret, internal issuer) and nothing
else; the gateway's door refuses them."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from firesafe_kit.auth.actor import Actor, Scope
from firesafe_kit.auth.internal import (
    INTERNAL_KEY_ID,
    InternalTokenSettings,
    mint_internal_token,
)
from firesafe_kit.auth.jwt import TokenVerifier
from firesafe_kit.http.problems import Unauthorized
from firesafe_kit.settings import KitSettings
from gateway.config import GatewaySettings

USER_SECRET = "user-tokens-" + "0123456789abcdef" * 3
INTERNAL = InternalTokenSettings(secret="internal-" + "fedcba9876543210" * 3)
KEY_ACTOR = Actor(
    sub="api-key:k-1",
    name="数据平台",
    roles=frozenset({"viewer"}),
    jurisdiction=(Scope("district", "d-1"),),
    via="api_key",
)


def settings(**overrides: Any) -> KitSettings:
    return KitSettings(**{"jwt_secret": USER_SECRET, "jwks_url": "", **overrides})


async def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthorized) as caught:
        await verifier.verify(token)
    return caught.value.code


async def test_a_service_accepts_an_internal_token_as_the_key_it_names() -> None:
    token, expires = mint_internal_token(settings(), INTERNAL, KEY_ACTOR)
    verified = await TokenVerifier(settings(), internal=INTERNAL).verify_token(token)
    assert verified.actor == KEY_ACTOR
    assert expires - time.time() <= INTERNAL.ttl_seconds
    assert jwt.get_unverified_header(token)["kid"] == INTERNAL_KEY_ID


async def test_internal_tokens_are_refused_unless_pinned_path_matches() -> None:
    good, _ = mint_internal_token(settings(), INTERNAL, KEY_ACTOR)
    claims = jwt.decode(good, options={"verify_signature": False})
    header = {"kid": INTERNAL_KEY_ID}
    verifier = TokenVerifier(settings(), internal=INTERNAL)
    # Signed with the user tokens' secret, not the internal one.
    assert (
        await refused(verifier, jwt.encode(claims, USER_SECRET, "HS256", headers=header))
        == "token_invalid"
    )
    # Another algorithm than the pinned HS256.
    hs384 = jwt.encode(claims, INTERNAL.secret, "HS384", headers=header)
    assert await refused(verifier, hs384) == "token_invalid"
    # The user tokens' issuer on the internal path.
    user_issuer = {**claims, "iss": "firesafe"}
    assert (
        await refused(verifier, jwt.encode(user_issuer, INTERNAL.secret, "HS256", headers=header))
        == "token_issuer"
    )
    expired = {**claims, "iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600}
    assert (
        await refused(verifier, jwt.encode(expired, INTERNAL.secret, "HS256", headers=header))
        == "token_expired"
    )
    # The gateway's own verifier: internal tokens are not a way in.
    door = TokenVerifier(settings(), internal=INTERNAL, accept_internal=False)
    assert await refused(door, good) == "token_invalid"


async def test_without_an_internal_secret_hs256_deployments_use_the_jwt_secret() -> None:
    dev = InternalTokenSettings(secret="")
    token, _ = mint_internal_token(settings(), dev, KEY_ACTOR)
    assert (await TokenVerifier(settings(), internal=dev).verify(token)).sub == "api-key:k-1"


async def test_with_a_jwks_the_services_need_the_internal_secret() -> None:
    jwks = settings(jwks_url="https://idp.example/jwks.json")
    token, _ = mint_internal_token(settings(), InternalTokenSettings(secret=""), KEY_ACTOR)
    assert (
        await refused(TokenVerifier(jwks, internal=InternalTokenSettings(secret="")), token)
        == "token_invalid"
    )
    with pytest.raises(RuntimeError):
        mint_internal_token(jwks, InternalTokenSettings(secret=""), KEY_ACTOR)
    # ... and the gateway refuses to start without it.
    with pytest.raises(ValidationError, match="FIRESAFE_INTERNAL_TOKEN_SECRET"):
        GatewaySettings(
            jwks_url="https://idp.example/jwks.json",
            internal_token=InternalTokenSettings(secret=""),
        )
    secret = InternalTokenSettings(secret="s" * 40)
    assert GatewaySettings(jwks_url="https://idp.example/jwks.json", internal_token=secret)


def test_the_internal_issuer_must_differ_from_the_users() -> None:
    with pytest.raises(ValidationError, match="ISSUER"):
        GatewaySettings(internal_token=InternalTokenSettings(issuer="firesafe"))


def test_the_internal_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESAFE_INTERNAL_TOKEN_SECRET", "e" * 40)
    monkeypatch.setenv("FIRESAFE_INTERNAL_TOKEN_ISSUER", "gw-prod")
    monkeypatch.setenv("FIRESAFE_INTERNAL_TOKEN_TTL_SECONDS", "120")
    internal = GatewaySettings().internal_token
    assert (internal.secret, internal.issuer, internal.ttl_seconds) == ("e" * 40, "gw-prod", 120)
    assert "e" * 40 not in repr(internal)
