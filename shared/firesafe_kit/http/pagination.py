"""Cursor paging: `?limit=50&cursor=…` → `{"items": [...], "next_cursor": "…" | null}`.

Cursors are opaque to clients (urlsafe base64 of compact JSON) and keyset-based, so a page is
stable while rows are inserted and costs the same at any depth.

Use in a route::

    async def list_hazards(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[HazardOut]:
        rows, next_cursor = await keyset_page(
            session, select(Hazard), sort=col(Hazard.created_at), id=col(Hazard.id),
            limit=limit, cursor=cursor,
        )
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Row, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession as SQLModelAsyncSession

from firesafe_kit.http.problems import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 2048

# FastAPI refuses a default inside Annotated: write `limit: Limit = DEFAULT_LIMIT`.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1–200)")]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page"),
]

SortColumn = ColumnElement[Any] | QueryableAttribute[Any] | Mapped[Any]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _invalid_cursor() -> BadRequest:
    return BadRequest(code="invalid_cursor")


def encode_cursor(values: Mapping[str, Any]) -> str:
    raw = json.dumps(dict(values), separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    # Padding is dropped: `=` would need escaping in a query string.
    return base64.urlsafe_b64encode(raw.encode("utf-8")).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The values of `encode_cursor`; anything else is a 400 `invalid_cursor`."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid_cursor()
    try:
        # validate=True: the lenient default would silently skip stray characters.
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        values = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _invalid_cursor() from exc
    if not isinstance(values, dict):
        raise _invalid_cursor()
    return values


# Sort keys are not all JSON types; tag the ones that are not, so they come back typed.
def _pack(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if isinstance(value, uuid.UUID):
        return {"uuid": str(value)}
    if value is None:
        raise ValueError("keyset paging needs a NOT NULL sort column")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    raise TypeError(f"cannot page on a {type(value).__name__} column")


def _unpack(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if isinstance(raw, str):
            converters: dict[str, Any] = {
                "dt": datetime.fromisoformat,
                "d": date.fromisoformat,
                "dec": Decimal,
                "uuid": uuid.UUID,
            }
            if tag in converters:
                try:
                    return converters[tag](raw)
                except (ValueError, ArithmeticError) as exc:
                    raise _invalid_cursor() from exc
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    raise _invalid_cursor()


def _name(column: SortColumn) -> str:
    key = getattr(column, "key", None) or getattr(column, "name", None)
    if not isinstance(key, str) or not key:
        raise ValueError(f"sort column without a name: {column!r}")
    return key


def _value_of(item: Any, column: SortColumn, name: str) -> Any:
    if isinstance(item, Row):
        mapping = item._mapping
        try:
            return mapping[column]
        except KeyError:
            pass
        if name in mapping:
            return mapping[name]
        if len(item) != 1:
            raise ValueError(f"the selected columns do not include {name!r}")
        item = item[0]  # `sqlalchemy.select(Model)` executed: a one-entity row
    return getattr(item, name)


async def _fetch(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    if isinstance(session, SQLModelAsyncSession):
        # sqlmodel's exec() yields model instances for `sqlmodel.select(Model)`.
        # Its overloads name sqlmodel's Select subclasses; the implementation takes any Select.
        return list((await session.exec(stmt)).all())  # type: ignore[call-overload]
    return list((await session.execute(stmt)).all())


async def keyset_page(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    sort: SortColumn,
    id: SortColumn,
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of `stmt` ordered by (sort, id), and the cursor of the next page (None at the end).

    Any ORDER BY on `stmt` is replaced. `sort` must be NOT NULL; `id` must be unique. The row
    comparison is spelled `sort > a OR (sort = a AND id > b)` so SQLite and PostgreSQL agree.
    Rows are what the session's execution returns: model instances for `sqlmodel.select(Model)`
    on a sqlmodel session, `Row`s otherwise.
    """
    sort_name, id_name = _name(sort), _name(id)
    order_key = f"-{sort_name}" if descending else sort_name
    if cursor is not None:
        values = decode_cursor(cursor)
        if values.get("k") != order_key or "s" not in values or "i" not in values:
            raise _invalid_cursor()  # a cursor of another list or ordering
        after_sort, after_id = _unpack(values["s"]), _unpack(values["i"])
        if descending:
            stmt = stmt.where(or_(sort < after_sort, and_(sort == after_sort, id < after_id)))
        else:
            stmt = stmt.where(or_(sort > after_sort, and_(sort == after_sort, id > after_id)))
    ordering = (sort.desc(), id.desc()) if descending else (sort.asc(), id.asc())
    stmt = stmt.order_by(None).order_by(*ordering).limit(limit + 1)
    rows = await _fetch(session, stmt)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    next_cursor = encode_cursor(
        {
            "k": order_key,
            "s": _pack(_value_of(last, sort, sort_name)),
            "i": _pack(_value_of(last, id, id_name)),
        }
    )
    return rows, next_cursor
