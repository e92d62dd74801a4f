"""Every row of a file checked like a POST of its resource; every problem of every row kept.

Order per row, as on the API: the create schema first; the spec's reference rules only for a
row whose schema passed. A row's errors point at the file: `["body", <line>, <column>]`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.auth.actor import Actor
from firesafe_kit.http.problems import Unprocessable
from registry.imports.csv_rows import Table
from registry.imports.kinds import Document, ImportKind
from registry.imports.problems import ImportRejected
from registry.imports.references import References

HEADER_LINE = 1


def _error(line: int, column: str, msg: str, type_: str) -> dict[str, Any]:
    return {"loc": ["body", line, column], "msg": msg, "type": type_}


def check_header(kind: ImportKind, table: Table) -> None:
    """Unknown, repeated or missing columns: the file is refused before any row is read."""
    errors = []
    seen: set[str] = set()
    for column in table.columns:
        if not column:
            continue  # an untitled column may only hold empty cells (see read_table)
        if column in seen:
            errors.append(_error(HEADER_LINE, column, "column given twice", "duplicate_column"))
        elif column not in kind.columns:
            msg = f"unknown column for {kind.name}; expected some of: {', '.join(kind.columns)}"
            errors.append(_error(HEADER_LINE, column, msg, "unknown_column"))
        seen.add(column)
    for group in kind.required:
        if not seen.intersection(group):
            msg = (
                "required column is missing"
                if len(group) == 1
                else f"one of the columns {' or '.join(group)} is required"
            )
            errors.append(_error(HEADER_LINE, group[0], msg, "missing_column"))
    if errors:
        raise ImportRejected(errors)


async def validate_rows(
    session: AsyncSession, actor: Actor, kind: ImportKind, community_id: str, table: Table
) -> list[dict[str, Any]]:
    """The column values of every row, in file order; ImportRejected listing all bad rows."""
    errors = [_error(line, "*", msg, "row_width") for line, msg in table.broken]
    refs = References(session, actor, community_id)

    names = [name for row in table.rows for name in kind.compound_names(row.cells)]
    by_name = await refs.compound_ids_by_name(names) if names else {}

    valid: list[tuple[int, Document, BaseModel]] = []
    for row in table.rows:
        document = kind.document(row.cells, community_id, by_name)
        row_errors = [_error(row.line, *problem) for problem in document.problems]
        try:
            data = kind.spec.create.model_validate(document.values)
        except ValidationError as exc:
            for item in exc.errors(include_url=False):
                loc = tuple(item["loc"])
                if loc and loc[0] in document.suppressed:
                    continue
                column = kind.column_of(loc, document)
                row_errors.append(_error(row.line, column, item["msg"], item["type"]))
        else:
            if not row_errors:
                valid.append((row.line, document, data))
        errors.extend(row_errors)

    wanted: dict[type[Any], set[str]] = {}
    for _line, _document, data in valid:
        for model, record_id in kind.references(data):
            wanted.setdefault(model, set()).add(record_id)
    for model, ids in wanted.items():
        await refs.load(model, ids)

    prepared = []
    for line, document, data in valid:
        try:
            prepared.append(kind.prepare(refs, data))
        except Unprocessable as exc:  # the spec's InvalidReference / RuleViolation
            for problem in exc.errors:
                loc = tuple(problem["loc"][1:])  # without "body"
                column = kind.column_of(loc, document)
                errors.append(_error(line, column, problem["msg"], problem["type"]))
    if errors:
        raise ImportRejected(errors)
    return prepared
