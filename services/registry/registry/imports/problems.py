"""The import's errors, rendered by the kit as problem+json."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from firesafe_kit.http.problems import PayloadTooLarge, Text, Unprocessable, UnsupportedMediaType


class NotCsv(UnsupportedMediaType):
    code = "import_not_csv"
    title_zh = "导入文件须为 text/csv（UTF-8）"
    title_en = "An import must be text/csv in UTF-8"

    def __init__(self, given: str | None) -> None:
        shown = given or "-"
        super().__init__(
            Text(
                f"请求体须为 text/csv; charset=utf-8（收到 {shown}）",
                f"The request body must be text/csv; charset=utf-8 (got {shown})",
            )
        )


class NotUtf8(Unprocessable):
    code = "import_not_utf8"
    title_zh = "导入文件不是 UTF-8 编码"
    title_en = "The file is not UTF-8 encoded"

    def __init__(self, line: int, byte: int) -> None:
        super().__init__(
            Text(
                f"第 {line} 行（第 {byte} 字节）不是有效的 UTF-8；请另存为“CSV UTF-8”后重试",
                f"Line {line} (byte {byte}) is not valid UTF-8; save the sheet as 'CSV UTF-8'",
            ),
            errors=[{"loc": ["body", line], "msg": "not valid UTF-8", "type": "encoding"}],
        )


class BadFile(Unprocessable):
    """A file that cannot be read as a table at all (empty, no header, broken quoting)."""

    code = "import_bad_file"
    title_zh = "无法读取导入文件"
    title_en = "The file cannot be read as a CSV table"

    def __init__(self, detail: Text, line: int = 1) -> None:
        super().__init__(detail, errors=[{"loc": ["body", line], "msg": detail.en, "type": "csv"}])


class TooManyRows(PayloadTooLarge):
    code = "import_too_many_rows"
    title_zh = "导入文件行数过多"
    title_en = "Too many rows in one import"

    def __init__(self, limit: int) -> None:
        super().__init__(
            Text(
                f"一次最多导入 {limit} 行，请拆分文件后分批导入",
                f"At most {limit} rows per import; split the file",
            )
        )


class ImportRejected(Unprocessable):
    """Some rows are bad: nothing was written, and `errors` names every bad row's cells."""

    code = "import_rejected"
    title_zh = "导入文件中有不合格的行，未写入任何数据"
    title_en = "Some rows are invalid; nothing was imported"

    def __init__(self, errors: Sequence[dict[str, Any]]) -> None:
        ordered = sorted(errors, key=lambda e: e["loc"][1])  # by line; stable within one
        lines = len({e["loc"][1] for e in ordered})
        super().__init__(
            Text(
                f"{lines} 行有错误（共 {len(ordered)} 处），未导入任何数据",
                f"{lines} line(s) have errors ({len(ordered)} in all); nothing was imported",
            ),
            errors=ordered,
        )
