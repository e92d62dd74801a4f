"""Elements of a JSON array column as rows, on both databases the registry runs on.

SQLite spells it `json_each(col)`, PostgreSQL `json_array_elements[_text](col)` (the columns
are `json`, not `jsonb`). Both are table-valued functions that may refer to a table earlier in
the same FROM list, both name their column `value`, and both read a field of an object element
with `->>`, so one statement shape serves both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, func, literal_column
from sqlalchemy.sql.functions import Function
from sqlalchemy.sql.selectable import TableValuedAlias


def _each(dialect: str, column: Any, *, text: bool) -> Function[Any]:
    if dialect == "sqlite":
        return func.json_each(column)  # string elements come back as SQL text already
    if dialect == "postgresql":
        return func.json_array_elements_text(column) if text else func.json_array_elements(column)
    raise NotImplementedError(f"JSON array elements on {dialect!r}")


def text_elements(dialect: str, column: Any, name: str) -> TableValuedAlias:
    """Rows of a JSON array of strings (e.g. a station's `compound_ids`); column `value`."""
    return _each(dialect, column, text=True).table_valued("value").alias(name)


def object_elements(dialect: str, column: Any, name: str) -> TableValuedAlias:
    """Rows of a JSON array of objects (e.g. a key resident's `devices`); column `value`."""
    return _each(dialect, column, text=False).table_valued("value").alias(name)


def field_of(elements: TableValuedAlias, key: str) -> ColumnElement[str]:
    """`value ->> 'key'`. The key is inlined (it is ours, never input): a bound parameter
    would leave PostgreSQL to choose between `json ->> text` and `json ->> int`."""
    if not key.isidentifier():
        raise ValueError(f"not a plain JSON key: {key!r}")
    return elements.c.value.op("->>", return_type=String)(literal_column(f"'{key}'"))
