"""Timezone-aware datetimes stored in UTC, and SQLite's safety settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import StatementError

from firesafe_kit.db import Database, UTCDateTime
from tests.support.backends import Backends

metadata = MetaData()
moments = Table(
    "moments", metadata, Column("id", Integer, primary_key=True), Column("at", UTCDateTime)
)
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
async def db(backends: Backends) -> AsyncIterator[Database]:
    database = Database(await backends.database_url("db"))
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield database
    await database.dispose()


async def test_times_come_back_aware_and_in_utc(db: Database) -> None:
    local = datetime(2026, 12, 4, 8, 30, tzinfo=SHANGHAI)
    async with db.transaction() as session:
        await session.execute(insert(moments).values(id=1, at=local))
    async with db.session() as session:
        stored = (await session.execute(select(moments.c.at))).scalar_one()
    assert stored == local
    assert stored.utcoffset() == timedelta(0) and stored.hour == 0


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.transaction() as session:
            await session.execute(insert(moments).values(id=2, at=datetime(2026, 1, 1)))


async def test_sqlite_runs_in_wal_with_foreign_keys(db: Database) -> None:
    async with db.engine.connect() as connection:
        if db.is_sqlite:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
        else:
            assert (await connection.execute(text("SHOW TIMEZONE"))).scalar() is not None
    await db.ping()


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(ZeroDivisionError):
        async with db.transaction() as session:
            await session.execute(insert(moments).values(id=3, at=datetime.now(UTC)))
            _ = 1 / 0
    async with db.session() as session:
        assert (
            await session.execute(select(moments.c.id).where(moments.c.id == 3))
        ).first() is None
