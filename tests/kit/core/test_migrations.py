"""Every service's migration history runs up and down on the selected engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from firesafe_kit.db import Database
from firesafe_kit.migrations import alembic_config, upgrade_to_head
from tests.support.backends import Backends

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ["registry", "inspection", "duty-roster", "alerts"]
KIT_TABLES = {"kit_outbox", "kit_inbox", "kit_idempotency_keys", "kit_tree_nodes"}


async def table_names(url: str) -> set[str]:
    db = Database(url)
    try:
        async with db.engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await db.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_upgrade_downgrade_and_upgrade_again(
    service: str, backends: Backends
) -> None:
    url = await backends.database_url(f"mig_{service}")
    service_dir = ROOT / "services" / service

    await asyncio.to_thread(upgrade_to_head, service_dir, url)
    assert await table_names(url) >= KIT_TABLES
    await asyncio.to_thread(upgrade_to_head, service_dir, url)  # a second run changes nothing
    # The models and the migration history agree: autogenerate finds nothing to do.
    await asyncio.to_thread(command.check, alembic_config(service_dir, url))

    await asyncio.to_thread(command.downgrade, alembic_config(service_dir, url), "base")
    assert not (KIT_TABLES & await table_names(url))
    await asyncio.to_thread(upgrade_to_head, service_dir, url)
    assert await table_names(url) >= KIT_TABLES
