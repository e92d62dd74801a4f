from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from firesafe_kit.db import Database
from firesafe_kit.tables import kit_metadata
from tests.support.backends import Backends


@pytest.fixture
async def db(backends: Backends) -> AsyncIterator[Database]:
    """A fresh database: a SQLite file by default, PostgreSQL with FIRESAFE_TEST_BACKENDS=real."""
    database = Database(await backends.database_url("kit-http"))
    async with database.engine.begin() as connection:
        await connection.run_sync(kit_metadata.create_all)
    yield database
    await database.dispose()
