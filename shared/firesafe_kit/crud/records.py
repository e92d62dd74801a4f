"""The columns every mutable resource has, and writes that respect its version."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.clock import utcnow
from firesafe_kit.db import UTCDateTime
from firesafe_kit.http.etag import check_if_match, etag_for
from firesafe_kit.http.problems import PreconditionFailed


def new_id() -> str:
    return str(uuid.uuid4())


class Record(SQLModel):
    """The columns of a versioned, soft-deletable resource (not a table itself).

    A service binds it to its own metadata, so that services never share tables, not even in
    one process: `class ServiceRecord(Record, registry=registry())`, then its tables subclass
    `ServiceRecord` with `table=True`.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    version: int = Field(default=1, ge=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


R = TypeVar("R", bound=Record)


def etag_of(record: Record) -> str:
    return etag_for(record.id, record.version)


async def get_live(session: AsyncSession, model: type[R], record_id: str) -> R | None:
    """The record unless it does not exist or was deleted."""
    statement = select(model).where(model.id == record_id, model.deleted_at.is_(None))  # type: ignore[union-attr]
    return (await session.exec(statement)).first()


async def update_versioned(
    session: AsyncSession, record: R, changes: dict[str, Any], *, if_match: str | None
) -> R:
    """Apply `changes` only if nobody changed the record since it was read.

    The version test is in the UPDATE's WHERE, so of two concurrent writers holding the same
    ETag exactly one succeeds; the other gets 412, whatever the interleaving.
    """
    check_if_match(if_match, etag_of(record))
    model = type(record)
    values = {**changes, "version": record.version + 1, "updated_at": utcnow()}
    result = await session.execute(
        update(model)
        .where(model.id == record.id, model.version == record.version)  # type: ignore[arg-type]
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PreconditionFailed(
            detail="the resource was changed by someone else; read it again", code="etag_mismatch"
        )
    session.expunge(record)  # the row is written; keep the ORM from writing it a second time
    for name, value in values.items():
        setattr(record, name, value)
    return record
