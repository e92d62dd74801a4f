"""`Idempotency-Key` on POST: a replayed request gets the first response and creates nothing new.

The key is claimed by inserting a pending row (unique per principal and key) before the app
runs, so two concurrent copies of one request cannot both run. The first response is stored
once complete; a 5xx, a 408/429 (which invite a retry) or a crash frees the key instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firesafe_kit.auth.jwt import TokenVerifier
from firesafe_kit.clock import Clock, SystemClock
from firesafe_kit.db import Database, upsert_insert
from firesafe_kit.http.problems import (
    BadRequest,
    Conflict,
    ProblemError,
    ServiceUnavailable,
    Unprocessable,
    problem_response_for_scope,
)
from firesafe_kit.tables import idempotency_keys

log = logging.getLogger(__name__)

KEY_HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
_VALID_KEY = re.compile(r"[\x20-\x7e]{1,200}")
# Only these response headers are replayed; the rest (request id, trace) belong to each request.
_STORED_HEADERS = ("content-type", "location", "etag", "content-language")
# Answers that ask the client to try again must not be pinned to the key.
_RETRYABLE = frozenset({408, 429})
DEFAULT_RETENTION = timedelta(hours=24)
_MAX_SUB = 190  # the principal column holds 200 characters; longer subjects are hashed


@dataclass
class _Claim:
    principal: str
    key: str
    fingerprint: str
    # Set once the row is ours; later writes match on it, so a request whose abandoned key
    # was taken over can no longer overwrite or free the new owner's row.
    created_at: datetime | None = None


class IdempotencyMiddleware:
    """Pure ASGI middleware; `get_database` is called per request (the database may be
    created in the lifespan, after the middleware stack is built).

    A pending row older than `pending_timeout` is taken to be left by a crashed process and
    may be claimed again.
    """

    def __init__(
        self,
        app: ASGIApp,
        get_database: Callable[[], Database],
        *,
        pending_timeout: timedelta = timedelta(minutes=5),
        clock: Clock | None = None,
    ) -> None:
        self.app = app
        self.get_database = get_database
        self.pending_timeout = pending_timeout
        self.clock = clock or SystemClock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        keys = headers.getlist(KEY_HEADER)
        if not keys:
            await self.app(scope, receive, send)
            return
        key = keys[0].strip()
        if len(keys) != 1 or not _VALID_KEY.fullmatch(key):
            problem = BadRequest(code="invalid_idempotency_key")
            await problem_response_for_scope(problem, scope)(scope, receive, send)
            return

        body = await _read_body(receive)
        if body is None:
            return  # the client went away before sending its body
        principal = await _principal(scope, headers)
        if principal is None:  # a credential that does not verify: the app refuses it
            await self.app(scope, _replaying_body(body, receive), send)
            return
        claim = _Claim(principal, key, _fingerprint(scope, body))
        database = self.get_database()
        try:
            existing = await self._claim(database, claim, scope)
        except ProblemError as problem:
            await problem_response_for_scope(problem, scope)(scope, receive, send)
            return
        if existing is not None:
            await self._answer_existing(existing, claim, scope, receive, send)
            return
        await self._run(database, claim, scope, body, receive, send)

    async def _claim(self, database: Database, claim: _Claim, scope: Scope) -> Row[Any] | None:
        """Insert the pending row; None when this request now owns the key, else the row."""
        for _ in range(3):
            async with database.transaction() as session:
                connection = await session.connection()
                now = self.clock.now()
                if await _insert_pending(connection, claim, scope, now):
                    claim.created_at = now
                    return None
                row: Row[Any] | None = (
                    await connection.execute(
                        select(idempotency_keys).where(
                            idempotency_keys.c.principal == claim.principal,
                            idempotency_keys.c.key == claim.key,
                        )
                    )
                ).one_or_none()
                if row is None:
                    continue  # freed between our insert and select: try again
                abandoned = (
                    not row.completed
                    and row.request_hash == claim.fingerprint  # else it is a 422, whatever its age
                    and row.created_at < now - self.pending_timeout
                )
                if not abandoned:
                    return row
                await connection.execute(
                    delete(idempotency_keys).where(
                        idempotency_keys.c.principal == claim.principal,
                        idempotency_keys.c.key == claim.key,
                        idempotency_keys.c.completed.is_(False),
                        idempotency_keys.c.created_at == row.created_at,
                    )
                )
        # The key keeps changing hands: let the client back off.
        raise ServiceUnavailable(retry_after=1)

    async def _answer_existing(
        self, row: Row[Any], claim: _Claim, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if row.request_hash != claim.fingerprint:
            problem: ProblemError = Unprocessable(code="idempotency_key_reused")
        elif not row.completed:
            problem = Conflict(code="idempotency_request_in_progress", headers={"Retry-After": "1"})
        else:
            stored: list[list[str]] = json.loads(row.response_headers or "[]")
            replay = Response(
                content=row.response_body or b"",
                status_code=row.status_code,
                headers={**{name: value for name, value in stored}, REPLAYED_HEADER: "true"},
            )
            await replay(scope, receive, send)
            return
        await problem_response_for_scope(problem, scope)(scope, receive, send)

    async def _run(
        self,
        database: Database,
        claim: _Claim,
        scope: Scope,
        body: bytes,
        receive: Receive,
        send: Send,
    ) -> None:
        replay_receive = _replaying_body(body, receive)
        status = 0
        response_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        complete = False

        async def capture_send(message: Message) -> None:
            nonlocal status, response_headers, complete
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        except BaseException:
            # Shielded: a cancelled request must still free its key.
            await asyncio.shield(_release(database, claim))
            raise
        if not complete or status >= 500 or status in _RETRYABLE:
            await asyncio.shield(_release(database, claim))
            return
        kept = [
            [name.decode("latin-1"), value.decode("latin-1")]
            for name, value in response_headers
            if name.decode("latin-1").lower() in _STORED_HEADERS
        ]
        try:
            await _complete(database, claim, status, kept, b"".join(chunks))
        except Exception:
            # The client has its response already; free the key rather than leave it pending.
            log.exception("could not store the idempotent response")
            await asyncio.shield(_release(database, claim))


def _replaying_body(body: bytes, receive: Receive) -> Receive:
    """The body, already read, as the app's first receive; then the client's own receive
    (after the body only a disconnect can come)."""
    body_sent = False

    async def replay_receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay_receive


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _principal(scope: Scope, headers: Headers) -> str | None:
    """Whose keys these are: the verified subject when the app verifies tokens, so a refreshed
    token (or another internal token the gateway minted for the same API key) replays the same
    keys; None when the token does not verify. Apps without a verifier (tests of this module)
    key by a hash of the credential."""
    credential = headers.get("authorization") or headers.get("x-api-key")
    if not credential:
        return "anonymous"
    verifier = getattr(getattr(scope.get("app"), "state", None), "token_verifier", None)
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if isinstance(verifier, TokenVerifier) and scheme.lower() == "bearer":
        try:
            actor = await verifier.verify(token.strip())
        except ProblemError:
            return None
        # Verified once per request: the app's CurrentActor dependency takes it from here.
        scope.setdefault("state", {})["actor"] = actor
        subject = actor.sub if len(actor.sub) <= _MAX_SUB else _digest(actor.sub)
        return f"sub:{subject}"
    return "credential:" + _digest(credential)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (
        scope["method"].encode(),
        scope["path"].encode("utf-8", "surrogateescape"),
        scope.get("query_string", b""),
        body,
    ):
        # Length-prefixed so that moving bytes between parts changes the hash.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def _insert_pending(
    connection: AsyncConnection, claim: _Claim, scope: Scope, now: datetime
) -> bool:
    values = {
        "principal": claim.principal,
        "key": claim.key,
        "method": scope["method"][:10],
        "path": scope["path"][:500],
        "request_hash": claim.fingerprint,
        "completed": False,
        "created_at": now,
    }
    stmt = (
        upsert_insert(connection.dialect.name, idempotency_keys)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["principal", "key"])
    )
    return bool((await connection.execute(stmt)).rowcount == 1)
    return True


def _owned_by(claim: _Claim) -> tuple[ColumnElement[bool], ...]:
    return (
        idempotency_keys.c.principal == claim.principal,
        idempotency_keys.c.key == claim.key,
        idempotency_keys.c.created_at == claim.created_at,
    )


async def _complete(
    database: Database, claim: _Claim, status: int, headers: list[list[str]], body: bytes
) -> None:
    async with database.transaction() as session:
        connection = await session.connection()
        await connection.execute(
            update(idempotency_keys)
            .where(*_owned_by(claim))
            .values(
                completed=True,
                status_code=status,
                response_headers=json.dumps(headers),
                response_body=body,
            )
        )


async def _release(database: Database, claim: _Claim) -> None:
    try:
        async with database.transaction() as session:
            connection = await session.connection()
            await connection.execute(
                delete(idempotency_keys).where(
                    *_owned_by(claim), idempotency_keys.c.completed.is_(False)
                )
            )
    except Exception:
        # The pending row then expires through `pending_timeout`.
        log.exception("could not free the idempotency key")


async def purge_idempotency_keys(
    database: Database,
    older_than: timedelta = DEFAULT_RETENTION,
    *,
    now: datetime | None = None,
) -> int:
    """Delete keys created more than `older_than` ago; returns how many went."""
    cutoff = (now or SystemClock().now()) - older_than
    async with database.transaction() as session:
        connection = await session.connection()
        result = await connection.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)
        )
        return int(result.rowcount)
