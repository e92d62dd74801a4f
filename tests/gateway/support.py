"""Helpers of the gateway tests: tokens good and bad, a tiny upstream on a real port, a port
nothing listens on, and the registry data the matrix needs."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.actor import Scope as TreeScope
from firesafe_kit.auth.internal import InternalTokenSettings, mint_internal_token
from firesafe_kit.auth.jwt import mint_token
from firesafe_kit.settings import KitSettings
from tests.support.events import wait_until
from tests.support.registry_data import Tree as Tree  # re-exported for the gateway tests
from tests.support.registry_data import community_body as community_body
from tests.support.registry_data import created as created
from tests.support.registry_data import make_tree as make_tree
from tests.support.registry_data import next_district_code as next_district_code

SERVICES = ["registry", "inspection", "duty-roster", "alerts"]
PROBLEM = "application/problem+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def closed_url() -> str:
    """A loopback URL nothing listens on: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}"


def token(settings: KitSettings, role: str = "city_admin", *scopes: str, sub: str = "") -> str:
    scopes = scopes or ("city",)
    return mint_token(
        settings,
        sub=sub or f"{role}-{'-'.join(scopes)}",
        name=f"测试{role}",
        roles=[role],
        jurisdiction=list(scopes),
    )


def bearer(
    settings: KitSettings, role: str = "city_admin", *scopes: str, sub: str = ""
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, role, *scopes, sub=sub)}"}


def claims(settings: KitSettings, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "matrix-user",
        "name": "矩阵",
        "roles": ["city_admin"],
        "jurisdiction": ["city"],
        "iat": now,
        "exp": now + 600,
    }
    return {**base, **overrides}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(payload: dict[str, Any]) -> str:
    """alg=none: what PyJWT refuses to produce."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(payload).encode())}."


def bad_bearer_tokens(settings: KitSettings) -> dict[str, tuple[str, str]]:
    """name -> (Authorization value, the 401 code the door must answer with)."""
    secret = settings.jwt_secret
    now = int(time.time())
    internal, _ = mint_internal_token(
        settings,
        InternalTokenSettings(),
        Actor(
            sub="api-key:x",
            name="x",
            roles=frozenset({"city_admin"}),
            jurisdiction=(TreeScope("city"),),
            via="api_key",
        ),
    )
    tokens = {
        "expired": (
            jwt.encode(claims(settings, iat=now - 7200, exp=now - 3600), secret, algorithm="HS256"),
            "token_expired",
        ),
        "wrong audience": (
            jwt.encode(claims(settings, aud="another-api"), secret, algorithm="HS256"),
            "token_audience",
        ),
        "wrong issuer": (
            jwt.encode(claims(settings, iss="someone-else"), secret, algorithm="HS256"),
            "token_issuer",
        ),
        "alg none": (unsigned_token(claims(settings)), "token_invalid"),
        "wrong signature": (
            jwt.encode(claims(settings), "not-the-secret-0123456789abcdef0123", algorithm="HS256"),
            "token_invalid",
        ),
        "garbage": ("not-a-jwt", "token_invalid"),
        # Internal tokens are for the hop to a service, not a way in.
        "internal token": (internal, "token_invalid"),
    }
    return {
        "no token": ("", "token_missing"),
        "not bearer": ("Basic dXNlcjpwYXNz", "token_missing"),
        **{name: (f"Bearer {value}", code) for name, (value, code) in tokens.items()},
    }


# ----------------------------------------------------------------------------- registry data


# ----------------------------------------------------------------------------- a tiny upstream


@dataclass
class StubUpstream:
    """A service stand-in on a real port: records what reaches it, answers 200 JSON, or holds
    every request until released (a slow service)."""

    port: int = field(default_factory=free_port)
    slow: bool = False
    seen: list[dict[str, Any]] = field(default_factory=list)
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def release(self) -> None:
        self._release.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.seen.append(
            {
                "method": scope["method"],
                "path": scope["path"],
                "raw_path": scope.get("raw_path"),
                "query": scope["query_string"],
                "headers": headers,
                "body": body,
            }
        )
        if self.slow and scope["path"] != "/readyz":
            await self._release.wait()
        payload = b'{"ok":true}'
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"x-request-id", b"upstream-own-id"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def requests_to(self, path_prefix: str) -> list[dict[str, Any]]:
        return [r for r in self.seen if r["path"].startswith(path_prefix)]


@asynccontextmanager
async def serving(stub: StubUpstream) -> AsyncIterator[StubUpstream]:
    config = uvicorn.Config(
        stub,
        host="127.0.0.1",
        port=stub.port,
        lifespan="off",
        log_config=None,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, timeout=10, interval=0.01)
        yield stub
    finally:
        stub.release()
        server.should_exit = True
        await task


async def raw_get(
    app: Any, raw_path: bytes, query: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    """A GET made of the exact bytes given (an HTTP client would normalise them first)."""
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"gateway")]
        + [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 4711),
        "server": ("gateway", 80),
    }
    await app(scope, receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, body
