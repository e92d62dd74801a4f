from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from firesafe_kit.auth.jwt import TokenVerifier, mint_token
from firesafe_kit.clock import ManualClock
from firesafe_kit.db import Database
from firesafe_kit.http.idempotency import IdempotencyMiddleware, purge_idempotency_keys
from firesafe_kit.http.middleware import RequestContextMiddleware
from firesafe_kit.http.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from firesafe_kit.settings import KitSettings
from firesafe_kit.tables import idempotency_keys

T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


class Harness:
    """An app whose endpoints count their calls and can be told to fail or wait."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.calls: dict[str, int] = {"things": 0, "flaky": 0, "raises": 0, "slow": 0}
        self.clock = ManualClock(T0)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        app = FastAPI()
        install_problem_handlers(app)

        @app.post("/things", status_code=201)
        async def create(payload: dict[str, Any], response: Response) -> dict[str, Any]:
            self.calls["things"] += 1
            number = self.calls["things"]
            response.headers["Location"] = f"/things/{number}"
            response.headers["ETag"] = f'"v{number}"'
            response.headers["X-Other"] = "not stored"
            return {"number": number, "名称": payload.get("名称")}

        @app.post("/flaky", status_code=201)
        async def flaky() -> Any:
            self.calls["flaky"] += 1
            if self.calls["flaky"] == 1:
                return JSONResponse({"error": "downstream"}, status_code=500)
            return {"attempt": self.calls["flaky"]}

        @app.post("/raises", status_code=201)
        async def raises() -> dict[str, int]:
            self.calls["raises"] += 1
            if self.calls["raises"] == 1:
                raise RuntimeError("boom")
            return {"attempt": self.calls["raises"]}

        @app.post("/slow", status_code=201)
        async def slow() -> dict[str, int]:
            self.calls["slow"] += 1
            number = self.calls["slow"]
            if number == 1:
                self.entered.set()
                await self.release.wait()
            return {"attempt": number}

        app.add_middleware(IdempotencyMiddleware, get_database=lambda: self.db, clock=self.clock)
        app.add_middleware(RequestContextMiddleware, service="idempotency-test")
        self.app = app

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://t")

    async def rows(self) -> list[Any]:
        async with self.db.session() as session:
            connection = await session.connection()
            return list((await connection.execute(select(idempotency_keys))).all())


def key(value: str, token: str = "Bearer alice") -> dict[str, str]:
    return {"Idempotency-Key": value, "Authorization": token}


async def test_replay_returns_the_first_response_without_running_again(db: Database) -> None:
    harness = Harness(db)
    async with harness.client() as client:
        first = await client.post("/things", json={"名称": "灭火器"}, headers=key("k-1"))
        replay = await client.post("/things", json={"名称": "灭火器"}, headers=key("k-1"))

    assert harness.calls["things"] == 1
    assert first.status_code == replay.status_code == 201
    assert replay.content == first.content
    assert replay.json() == {"number": 1, "名称": "灭火器"}
    assert replay.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert replay.headers["location"] == "/things/1"
    assert replay.headers["etag"] == '"v1"'
    assert replay.headers["content-type"] == "application/json"
    assert "x-other" not in replay.headers
    assert replay.headers["x-request-id"] != first.headers["x-request-id"]
    [row] = await harness.rows()
    assert row.completed and row.status_code == 201 and row.path == "/things"


async def test_keys_are_per_principal_and_absent_keys_do_nothing(db: Database) -> None:
    harness = Harness(db)
    async with harness.client() as client:
        await client.post("/things", json={}, headers=key("shared", "Bearer alice"))
        bob = await client.post("/things", json={}, headers=key("shared", "Bearer bob"))
        api = await client.post(
            "/things", json={}, headers={"Idempotency-Key": "shared", "X-API-Key": "k"}
        )
        await client.post("/things", json={})
        await client.post("/things", json={})
    assert bob.json()["number"] == 2
    assert api.json()["number"] == 3
    assert harness.calls["things"] == 5
    assert len(await harness.rows()) == 3


async def test_reused_key_with_another_request_is_422(db: Database) -> None:
    harness = Harness(db)
    async with harness.client() as client:
        await client.post("/things", json={"名称": "A"}, headers=key("k-2"))
        other_body = await client.post(
            "/things", json={"名称": "B"}, headers={**key("k-2"), "Accept-Language": "en"}
        )
        other_query = await client.post("/things?x=1", json={"名称": "A"}, headers=key("k-2"))
    assert harness.calls["things"] == 1
    for response in (other_body, other_query):
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert response.json()["code"] == "idempotency_key_reused"
    assert other_body.json()["title"] == "Idempotency-Key was used for a different request"


async def test_a_500_frees_the_key(db: Database) -> None:
    harness = Harness(db)
    async with harness.client() as client:
        failed = await client.post("/flaky", headers=key("k-3"))
        assert await harness.rows() == []
        retried = await client.post("/flaky", headers=key("k-3"))
        replayed = await client.post("/flaky", headers=key("k-3"))
    assert failed.status_code == 500
    assert retried.status_code == 201
    assert retried.json() == {"attempt": 2}
    assert replayed.json() == {"attempt": 2}
    assert replayed.headers["idempotent-replayed"] == "true"
    assert harness.calls["flaky"] == 2


async def test_an_exception_frees_the_key(db: Database) -> None:
    harness = Harness(db)
    async with harness.client() as client:
        crashed = await client.post("/raises", headers=key("k-4"))
        retried = await client.post("/raises", headers=key("k-4"))
    assert crashed.status_code == 500
    assert crashed.json()["code"] == "internal_error"
    assert retried.status_code == 201
    assert harness.calls["raises"] == 2


async def test_a_request_in_progress_is_409_and_an_abandoned_one_is_taken_over(
    db: Database,
) -> None:
    harness = Harness(db)
    async with harness.client() as client:
        first = asyncio.create_task(client.post("/slow", headers=key("k-5")))
        await harness.entered.wait()
        concurrent = await client.post("/slow", headers=key("k-5"))
        assert concurrent.status_code == 409
        assert concurrent.json()["code"] == "idempotency_request_in_progress"
        assert harness.calls["slow"] == 1

        harness.clock.advance(timedelta(minutes=6))  # the first now looks abandoned
        takeover = await client.post("/slow", headers=key("k-5"))
        assert takeover.status_code == 201
        assert takeover.json() == {"attempt": 2}

        harness.release.set()
        assert (await first).status_code == 201
        # The abandoned request finished late: it must not overwrite the new owner's answer.
        replay = await client.post("/slow", headers=key("k-5"))
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == {"attempt": 2}
    assert harness.calls["slow"] == 2


async def test_invalid_keys_are_400(db: Database) -> None:
    harness = Harness(db)
    async with harness.client() as client:
        too_long = await client.post("/things", json={}, headers=key("k" * 201))
        blank = await client.post("/things", json={}, headers=key("   "))
        not_ascii = await client.post(
            "/things",
            json={},
            headers=[(b"Idempotency-Key", "键".encode()), (b"Authorization", b"x")],
        )
        longest = await client.post("/things", json={}, headers=key("k" * 200))
    for response in (too_long, blank, not_ascii):
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_idempotency_key"
    assert longest.status_code == 201
    assert harness.calls["things"] == 1


async def test_purge_removes_old_keys_only(db: Database) -> None:
    harness = Harness(db)
    async with harness.client() as client:
        await client.post("/things", json={}, headers=key("old"))
        harness.clock.advance(timedelta(hours=23))
        await client.post("/things", json={}, headers=key("new"))

    purged = await purge_idempotency_keys(db, timedelta(hours=24), now=T0 + timedelta(hours=25))
    assert purged == 1
    async with db.session() as session:
        connection = await session.connection()
        remaining = (await connection.execute(select(idempotency_keys.c.key))).scalars().all()
        assert remaining == ["new"]
        count = (
            await connection.execute(select(func.count()).select_from(idempotency_keys))
        ).scalar()
    assert count == 1


async def test_keys_follow_the_verified_subject_not_the_token_string(db: Database) -> None:
    """A refreshed token of the same user replays; another user has other keys; a token
    that does not verify leaves the key alone and is refused by the app."""
    settings = KitSettings()
    harness = Harness(db)
    harness.app.state.token_verifier = TokenVerifier(settings)

    def bearer(sub: str, name: str) -> str:
        return "Bearer " + mint_token(settings, sub=sub, name=name, roles=[], jurisdiction=[])

    async with harness.client() as client:
        first = await client.post("/things", json={}, headers=key("k", bearer("alice", "A")))
        refreshed = await client.post("/things", json={}, headers=key("k", bearer("alice", "B")))
        other = await client.post("/things", json={}, headers=key("k", bearer("bob", "B")))
        forged = await client.post("/things", json={}, headers=key("k", "Bearer not.a.token"))
    assert refreshed.headers["idempotent-replayed"] == "true"
    assert refreshed.json() == first.json()
    assert other.json()["number"] == 2
    assert "idempotent-replayed" not in forged.headers
    assert harness.calls["things"] == 3  # the unverified request reached the app (no auth here)
    assert sorted(row.principal for row in await harness.rows()) == ["sub:alice", "sub:bob"]
