"""The gateway's own database (API keys): opened and migrated at start, one session per
request for the routes that need it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.db import Database
from firesafe_kit.migrations import upgrade_to_head
from gateway.config import GatewaySettings

# gateway/ (alembic.ini, migrations/): the gateway's migration history.
GATEWAY_DIR = Path(__file__).resolve().parent.parent


async def open_database(settings: GatewaySettings, stack: AsyncExitStack) -> Database:
    database = Database(settings.database_url)
    stack.push_async_callback(database.dispose)
    if settings.migrate_on_start:
        # Alembic is synchronous and runs its own event loop: keep it off ours.
        await asyncio.to_thread(upgrade_to_head, GATEWAY_DIR, settings.database_url)
    return database


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
