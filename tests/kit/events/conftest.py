from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from firesafe_kit.db import Database
from firesafe_kit.events.broker import Broker
from tests.support.backends import Backends
from tests.support.events import kit_database


@pytest.fixture
async def kit_db(backends: Backends) -> AsyncIterator[Database]:
    db = await kit_database(await backends.database_url("kit"))
    yield db
    await db.dispose()


@pytest.fixture
async def broker(backends: Backends) -> AsyncIterator[Broker]:
    chosen = backends.broker()
    await chosen.start()
    yield chosen
    await chosen.stop()
