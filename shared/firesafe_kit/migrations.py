"""Alembic glue: one migration history per service, the same env on SQLite and PostgreSQL.

A service's `migrations/env.py` is two lines: import the service's metadata, call `run_env`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from firesafe_kit.tables import kit_metadata

# Several replicas may start at once; only one may migrate (PostgreSQL advisory lock key).
_MIGRATION_LOCK_KEY = 7_346_001


def alembic_config(service_dir: Path, database_url: str) -> Config:
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(service_dir: Path, database_url: str) -> None:
    """Blocking: run from a thread (`asyncio.to_thread`) or a CLI, never on the event loop."""
    command.upgrade(alembic_config(service_dir, database_url), "head")


def _database_url() -> str:
    url = (
        context.config.attributes.get("database_url")
        or context.get_x_argument(as_dictionary=True).get("url")
        or context.config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise RuntimeError("no database URL: pass it via alembic_config() or sqlalchemy.url")
    return str(url)


def _migrate(connection: Connection, target_metadata: list[MetaData]) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(target_metadata: list[MetaData]) -> None:
    engine = create_async_engine(_database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, target_metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def run_env(*service_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py: `run_env(<service>.models.metadata)`.

    The kit's tables are part of every target, so autogenerate neither drops nor duplicates them.
    """
    target_metadata = [kit_metadata, *service_metadata]
    if context.is_offline_mode():
        context.configure(url=_database_url(), target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(target_metadata))


def create_kit_tables(op: Any) -> None:
    """Kit schema v1, for a service's first migration (`op` is alembic.op)."""
    kit_metadata.create_all(bind=op.get_bind())


def drop_kit_tables(op: Any) -> None:
    kit_metadata.drop_all(bind=op.get_bind())
