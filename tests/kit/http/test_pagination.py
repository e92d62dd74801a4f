from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlmodel import Field, SQLModel, col
from sqlmodel import select as sqlmodel_select

from firesafe_kit.db import Database, UTCDateTime
from firesafe_kit.http.pagination import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    Page,
    decode_cursor,
    encode_cursor,
    keyset_page,
)
from firesafe_kit.http.problems import BadRequest, install_problem_handlers

metadata = MetaData()
things = Table(
    "test_page_things",
    metadata,
    Column("id", String(10), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("rank", Integer, nullable=False),
)


class PagedNote(SQLModel, table=True):
    __tablename__ = "test_page_notes"
    id: str = Field(primary_key=True)
    rank: int


NOTES = SQLModel.metadata.tables["test_page_notes"]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
# Ties on created_at on purpose: the id must break them.
ROWS = [
    ("g", T0 + timedelta(minutes=3), 1),
    ("a", T0, 2),
    ("c", T0 + timedelta(minutes=1), 3),
    ("b", T0, 4),
    ("e", T0 + timedelta(minutes=1), 5),
    ("d", T0 + timedelta(minutes=1), 6),
    ("f", T0 + timedelta(minutes=2), 7),
]
EXPECTED_ORDER = ["a", "b", "c", "d", "e", "f", "g"]


async def seeded(db: Database) -> Database:
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.run_sync(SQLModel.metadata.create_all, tables=[NOTES])
        await connection.execute(
            things.insert(), [{"id": i, "created_at": t, "rank": r} for i, t, r in ROWS]
        )
        await connection.execute(
            NOTES.insert(),
            [{"id": i, "rank": r} for i, _, r in ROWS],
        )
    return db


def test_cursor_roundtrip_is_urlsafe_and_unpadded() -> None:
    values = {"k": "created_at", "s": {"dt": "2025-03-01T08:00:00+00:00"}, "i": "社区-1/?&"}
    cursor = encode_cursor(values)
    assert decode_cursor(cursor) == values
    assert all(ch.isalnum() or ch in "-_" for ch in cursor)


@pytest.mark.parametrize(
    "garbage", ["", "!!!", "bm90IGpzb24", encode_cursor({}).rstrip() + "%%", "WzEsMl0", "x" * 5000]
)
def test_garbage_cursor_is_a_400(garbage: str) -> None:
    with pytest.raises(BadRequest) as caught:
        decode_cursor(garbage)
    assert caught.value.status == 400
    assert caught.value.code == "invalid_cursor"


async def test_keyset_paging_7_rows_by_3(db: Database) -> None:
    await seeded(db)
    pages: list[list[str]] = []
    cursor: str | None = None
    async with db.session() as session:
        while True:
            rows, cursor = await keyset_page(
                session,
                select(things),
                sort=things.c.created_at,
                id=things.c.id,
                limit=3,
                cursor=cursor,
            )
            pages.append([row.id for row in rows])
            if cursor is None:
                break
    assert [len(page) for page in pages] == [3, 3, 1]
    flat = [item for page in pages for item in page]
    assert flat == EXPECTED_ORDER
    assert len(set(flat)) == 7


async def test_keyset_paging_descending_with_filters_and_models(db: Database) -> None:
    await seeded(db)
    seen: list[str] = []
    cursor: str | None = None
    async with db.session() as session:  # a sqlmodel session: model instances come back
        for _ in range(5):
            rows, cursor = await keyset_page(
                session,
                sqlmodel_select(PagedNote).where(col(PagedNote.rank) > 1),
                sort=col(PagedNote.rank),
                id=col(PagedNote.id),
                limit=2,
                cursor=cursor,
                descending=True,
            )
            assert all(isinstance(row, PagedNote) for row in rows)
            seen.extend(row.id for row in rows)
            if cursor is None:
                break
    assert seen == ["f", "d", "e", "b", "c", "a"]  # rank 7..2; "g" (rank 1) filtered out


async def test_a_cursor_of_another_ordering_is_refused(db: Database) -> None:
    await seeded(db)
    async with db.session() as session:
        _, by_time = await keyset_page(
            session, select(things), sort=things.c.created_at, id=things.c.id, limit=2, cursor=None
        )
        with pytest.raises(BadRequest):
            await keyset_page(
                session, select(things), sort=things.c.rank, id=things.c.id, limit=2, cursor=by_time
            )


def build_app(db: Database) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things")
    async def list_things(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Any]:
        async with db.session() as session:
            rows, next_cursor = await keyset_page(
                session,
                select(things.c.id, things.c.rank, things.c.created_at),
                sort=things.c.rank,
                id=things.c.id,
                limit=limit,
                cursor=cursor,
            )
        return Page[Any](items=[row.id for row in rows], next_cursor=next_cursor)

    return app


async def test_list_endpoint_limits_and_cursors(db: Database) -> None:
    await seeded(db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app(db)), base_url="http://t"
    ) as client:
        everything = await client.get("/things")
        first = await client.get("/things", params={"limit": 4})
        second = await client.get(
            "/things", params={"limit": 4, "cursor": first.json()["next_cursor"]}
        )
        garbage = await client.get("/things", params={"cursor": "not-a-cursor"})
        zero = await client.get("/things", params={"limit": 0})
        too_many = await client.get("/things", params={"limit": 201})
        most = await client.get("/things", params={"limit": 200})

    assert everything.json() == {"items": ["g", "a", "c", "b", "e", "d", "f"], "next_cursor": None}
    assert first.json()["items"] == ["g", "a", "c", "b"]
    assert second.json() == {"items": ["e", "d", "f"], "next_cursor": None}
    assert garbage.status_code == 400
    assert garbage.json()["code"] == "invalid_cursor"
    assert zero.status_code == 422
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["loc"] == ["query", "limit"]
    assert most.status_code == 200
