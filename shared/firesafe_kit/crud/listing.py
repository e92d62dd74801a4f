"""The shape every list endpoint shares: equality filters named after columns, then one
cursor page ordered by creation time (ties broken by id)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from firesafe_kit.crud.spec import PAGING, ListQuery
from firesafe_kit.http.pagination import keyset_page

T = TypeVar("T", bound=SQLModel)


def where_equal(
    statement: SelectOfScalar[T],
    model: type[T],
    query: ListQuery,
    names: Iterable[str] | None = None,
) -> SelectOfScalar[T]:
    """`column = value` for each filter the caller gave; `names` limits which query fields
    are columns (None: every field but the paging ones)."""
    given = query.model_dump(exclude_none=True, exclude=set(PAGING))
    for name, value in given.items():
        if names is None or name in names:
            statement = statement.where(getattr(model, name) == value)
    return statement


async def page_of(
    session: AsyncSession,
    statement: SelectOfScalar[T],
    model: type[T],
    query: ListQuery,
    read: type[BaseModel],
    *,
    newest_first: bool = False,
) -> dict[str, Any]:
    """`{"items": [...], "next_cursor": ...}` of `statement`, shown as `read`."""
    table: Any = model  # every listed model has created_at and a unique id
    rows, next_cursor = await keyset_page(
        session,
        statement,
        sort=col(table.created_at),
        id=col(table.id),
        limit=query.limit,
        cursor=query.cursor,
        descending=newest_first,
    )
    return {"items": [read.model_validate(row) for row in rows], "next_cursor": next_cursor}
