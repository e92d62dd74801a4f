from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from firesafe_kit.auth.actor import Scope
from firesafe_kit.auth.jwt import TokenVerifier, mint_token
from firesafe_kit.http.problems import ProblemError, ServiceUnavailable, Unauthorized
from firesafe_kit.settings import KitSettings

SECRET = "test-secret-" + "0123456789abcdef" * 4
JWKS_URL = "https://idp.example/.well-known/jwks.json"


def settings(**overrides: Any) -> KitSettings:
    values: dict[str, Any] = {
        "env": "dev",
        "jwt_secret": SECRET,
        "jwks_url": "",
        "jwt_issuer": "firesafe",
        "jwt_audience": "firesafe-api",
        "jwt_leeway_seconds": 30,
        "jwks_cache_seconds": 60,
    }
    return KitSettings(**{**values, **overrides})


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": "firesafe",
        "aud": "firesafe-api",
        "sub": "u-1",
        "name": "王小明",
        "roles": ["district_officer"],
        "jurisdiction": ["district:d1"],
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def craft(header: dict[str, Any], payload: dict[str, Any], key: bytes | None) -> str:
    """A token built by hand, for what PyJWT refuses to produce."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = (
        b"" if key is None else hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    )
    return f"{signing_input}.{b64(signature)}"


async def refused(verifier: TokenVerifier, token: str) -> ProblemError:
    with pytest.raises(Unauthorized) as caught:
        await verifier.verify(token)
    assert caught.value.status == 401
    return caught.value


# ----------------------------------------------------------------------------- HS256


async def test_good_hs256_token() -> None:
    verifier = TokenVerifier(settings())
    token = mint_token(
        settings(),
        sub="u-7",
        name="李娜",
        roles=["community_staff", "viewer"],
        jurisdiction=["community:c1", Scope("station", "st1")],
    )
    actor = await verifier.verify(token)
    assert actor.sub == "u-7"
    assert actor.name == "李娜"
    assert actor.roles == {"community_staff", "viewer"}
    assert actor.jurisdiction == (Scope("community", "c1"), Scope("station", "st1"))
    assert actor.via == "jwt"


@pytest.mark.parametrize(
    ("token_claims", "code"),
    [
        (claims(exp=int(time.time()) - 120, iat=int(time.time()) - 720), "token_expired"),
        (claims(aud="someone-else"), "token_audience"),
        (claims(aud=None), "token_audience"),
        (claims(iss="evil"), "token_issuer"),
        (claims(iss=None), "token_issuer"),
        (claims(exp=None), "token_claims"),
        (claims(iat=None), "token_claims"),
        (claims(sub=None), "token_claims"),
        (claims(roles=["superuser"]), "token_claims"),
        (claims(roles="city_admin"), "token_claims"),
        (claims(roles=None), "token_claims"),
        (claims(jurisdiction=["planet:p1"]), "token_claims"),
        (claims(jurisdiction="city"), "token_claims"),
        (claims(jurisdiction=[7]), "token_claims"),
    ],
)
async def test_refused_claims(token_claims: dict[str, Any], code: str) -> None:
    token = jwt.encode(token_claims, SECRET, algorithm="HS256")
    problem = await refused(TokenVerifier(settings()), token)
    assert problem.code == code
    assert problem.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_expiry_within_leeway_passes() -> None:
    token = jwt.encode(claims(exp=int(time.time()) - 10), SECRET, algorithm="HS256")
    assert (await TokenVerifier(settings()).verify(token)).sub == "u-1"


@pytest.mark.parametrize(
    "token",
    [
        craft({"alg": "none", "typ": "JWT"}, claims(), None),
        craft({"alg": "None", "typ": "JWT"}, claims(), None),
        jwt.encode(claims(), SECRET, algorithm="HS384"),
        jwt.encode(claims(), "another-secret-0123456789abcdef0123456789", algorithm="HS256"),
        jwt.encode(claims(), SECRET, algorithm="HS256")[:-4] + "AAAA",
        "not.a.token",
        "garbage",
    ],
)
async def test_refused_tokens(token: str) -> None:
    problem = await refused(TokenVerifier(settings()), token)
    assert problem.code == "token_invalid"


async def test_empty_token_is_missing() -> None:
    problem = await refused(TokenVerifier(settings()), "")
    assert problem.code == "token_missing"
    assert problem.headers["WWW-Authenticate"] == "Bearer"


def test_mint_refuses_unknown_roles_and_scopes() -> None:
    with pytest.raises(ValueError):
        mint_token(settings(), sub="u", name="u", roles=["root"], jurisdiction=["city"])
    with pytest.raises(ValueError):
        mint_token(settings(), sub="u", name="u", roles=["viewer"], jurisdiction=["town:1"])


# ----------------------------------------------------------------------------- JWKS


def rsa_key(kid: str) -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return private, {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


def ec_key(kid: str) -> tuple[ec.EllipticCurvePrivateKey, dict[str, Any]]:
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return private, {**jwk, "kid": kid, "use": "sig"}


class FakeIdp:
    """Serves a JWKS through httpx.MockTransport and counts the fetches."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.down = False
        self.now = 1000.0

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URL
        self.fetches += 1
        if self.down:
            return httpx.Response(503)
        return httpx.Response(200, json={"keys": self.keys})

    def verifier(self) -> TokenVerifier:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handler))
        return TokenVerifier(settings(jwks_url=JWKS_URL), http, monotonic=lambda: self.now)


@pytest.fixture(scope="module")
def rsa_k1() -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    return rsa_key("k1")


@pytest.fixture(scope="module")
def rsa_k2() -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    return rsa_key("k2")


def signed(private: Any, kid: str | None, algorithm: str = "RS256", **overrides: Any) -> str:
    headers = {"kid": kid} if kid else {}
    return jwt.encode(claims(**overrides), private, algorithm=algorithm, headers=headers)


async def test_rs256_and_es256_via_jwks(rsa_k1: tuple[rsa.RSAPrivateKey, dict[str, Any]]) -> None:
    private_rsa, jwk_rsa = rsa_k1
    private_ec, jwk_ec = ec_key("e1")
    idp = FakeIdp(jwk_rsa, jwk_ec)
    verifier = idp.verifier()

    assert (await verifier.verify(signed(private_rsa, "k1"))).sub == "u-1"
    assert (await verifier.verify(signed(private_ec, "e1", "ES256"))).sub == "u-1"
    assert idp.fetches == 1  # cached

    # The key decides the algorithm: an RS256 header naming the EC key is refused.
    assert (await refused(verifier, signed(private_rsa, "e1"))).code == "token_invalid"
    expired = signed(private_rsa, "k1", exp=int(time.time()) - 300, iat=int(time.time()) - 900)
    assert (await refused(verifier, expired)).code == "token_expired"


async def test_hs256_is_refused_when_jwks_is_configured(
    rsa_k1: tuple[rsa.RSAPrivateKey, dict[str, Any]],
) -> None:
    private, jwk = rsa_k1
    idp = FakeIdp(jwk)
    verifier = idp.verifier()
    hs_token = mint_token(settings(), sub="u", name="u", roles=["viewer"], jurisdiction=["city"])
    assert (await refused(verifier, hs_token)).code == "token_invalid"
    # Key confusion: HS256 "signed" with the public key PEM that anyone can download.
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused = craft({"alg": "HS256", "kid": "k1"}, claims(), public_pem)
    assert (await refused(verifier, confused)).code == "token_invalid"
    none_token = craft({"alg": "none", "kid": "k1"}, claims(), None)
    assert (await refused(verifier, none_token)).code == "token_invalid"


async def test_key_rotation_refetches_on_unknown_kid_at_most_every_10s(
    rsa_k1: tuple[rsa.RSAPrivateKey, dict[str, Any]],
    rsa_k2: tuple[rsa.RSAPrivateKey, dict[str, Any]],
) -> None:
    (private1, jwk1), (private2, jwk2) = rsa_k1, rsa_k2
    idp = FakeIdp(jwk1)
    verifier = idp.verifier()
    assert (await verifier.verify(signed(private1, "k1"))).sub == "u-1"
    assert idp.fetches == 1

    idp.keys = [jwk1, jwk2]  # the IdP rotates in k2
    idp.now += 2
    # Unknown kid but the last fetch was 2 s ago: no new fetch, refused.
    assert (await refused(verifier, signed(private2, "k2"))).code == "token_invalid"
    assert (await refused(verifier, signed(private2, "k2"))).code == "token_invalid"
    assert idp.fetches == 1

    idp.now += 9
    assert (await verifier.verify(signed(private2, "k2"))).sub == "u-1"
    assert idp.fetches == 2
    assert (await verifier.verify(signed(private1, "k1"))).sub == "u-1"
    assert idp.fetches == 2

    # A kid nobody knows cannot make us hammer the IdP.
    for _ in range(5):
        await refused(verifier, signed(private2, "k-unknown"))
    assert idp.fetches == 2

    idp.keys = [jwk2]  # k1 retired; the cache expires after 60 s
    idp.now += 61
    assert (await refused(verifier, signed(private1, "k1"))).code == "token_invalid"
    assert idp.fetches == 3


async def test_jwks_outage(rsa_k1: tuple[rsa.RSAPrivateKey, dict[str, Any]]) -> None:
    private, jwk = rsa_k1
    idp = FakeIdp(jwk)
    idp.down = True
    verifier = idp.verifier()
    with pytest.raises(ServiceUnavailable) as caught:
        await verifier.verify(signed(private, "k1"))
    assert caught.value.code == "jwks_unavailable"

    idp.down = False
    idp.now += 11
    assert (await verifier.verify(signed(private, "k1"))).sub == "u-1"

    idp.down = True  # stale keys keep working while the IdP is away
    idp.now += 120
    assert (await verifier.verify(signed(private, "k1"))).sub == "u-1"
    assert idp.fetches == 3


async def test_a_single_key_may_be_used_without_kid(
    rsa_k1: tuple[rsa.RSAPrivateKey, dict[str, Any]],
    rsa_k2: tuple[rsa.RSAPrivateKey, dict[str, Any]],
) -> None:
    (private1, jwk1), (_, jwk2) = rsa_k1, rsa_k2
    single = FakeIdp(jwk1).verifier()
    assert (await single.verify(signed(private1, None))).sub == "u-1"
    double = FakeIdp(jwk1, jwk2).verifier()
    assert (await refused(double, signed(private1, None))).code == "token_invalid"
