"""A CSV body as a header and rows, with the few aliases people type in Chinese spreadsheets.

The file: UTF-8 with or without a BOM, comma-separated, first row the header. Column names are
the API's field names or one of `HEADER_ALIASES`; English names are case-insensitive. An empty
cell means "not given". Line numbers are the file's own (the header is line 1; a quoted cell
spanning lines counts every line), so an error can be found in the sheet.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Final

from firesafe_kit.http.problems import Text
from registry.imports.problems import BadFile, NotUtf8, TooManyRows

MAX_ROWS: Final = 20_000

# Chinese column titles → API field names. Small on purpose: the common columns only.
HEADER_ALIASES: Final[dict[str, str]] = {
    "名称": "name",
    "姓名": "name",
    "地址": "address",
    "户数": "households",
    "电话": "phone",
    "联系电话": "phone",
    "是否有物业": "has_property_service",
    "物业公司": "property_company",
    "是否有固定消防设施": "has_fixed_facilities",
    "是否老旧小区": "is_old",
    "层数": "floors",
    "小区名称": "compound_name",
    "覆盖小区": "compound_names",
    "身份证号": "id_number",
    "类别": "category",
}

# Cell values of boolean columns (compared case-insensitively).
BOOLEAN_WORDS: Final[dict[str, bool]] = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "是": True,
    "否": False,
}

# Key-resident categories as the plan names them (重点人群).
CATEGORY_ALIASES: Final[dict[str, str]] = {
    "孤寡老人": "elderly_alone",
    "留守儿童": "left_behind_child",
    "残障人士": "disabled",
}

# Separators of a list cell (compound ids or names of a station): ; or | (also full-width ；).
_LIST_SEPARATOR: Final = re.compile(r"[;|；]")
# 2024/5/1, 2024.5.1, 2024年5月1日 → 2024-05-01; anything else is left to the schema.
_LOOSE_DATE: Final = re.compile(r"(\d{4})\s*[/.年-]\s*(\d{1,2})\s*[/.月-]\s*(\d{1,2})\s*日?")


@dataclass(frozen=True)
class CsvRow:
    line: int  # where the row starts in the file
    cells: dict[str, str]  # column → stripped, non-empty value


@dataclass
class Table:
    columns: list[str]  # canonical names, in file order
    rows: list[CsvRow] = field(default_factory=list)
    # Rows that could not even be split into cells: (line, message).
    broken: list[tuple[int, str]] = field(default_factory=list)


def decode(body: bytes) -> str:
    """UTF-8 text without its BOM; a 422 naming the line and byte of the first bad sequence."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8(line=body.count(b"\n", 0, exc.start) + 1, byte=exc.start + 1) from None


def column_name(title: str) -> str:
    """The canonical name of a header cell: an alias, or the lower-cased field name."""
    text = unicodedata.normalize("NFKC", title).strip().lstrip("\ufeff").strip()
    return HEADER_ALIASES.get(text, text.lower())


def read_table(text: str, *, max_rows: int = MAX_ROWS) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise BadFile(
                Text("文件为空：第 1 行须为表头", "The file is empty: line 1 must be the header")
            )
        table = Table(columns=[column_name(cell) for cell in header])
        width = len(header)
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue  # blank lines (or a row of empty cells) are not rows
            if len(table.rows) + len(table.broken) >= max_rows:
                raise TooManyRows(max_rows)
            extra = [cell for cell in record[width:] if cell.strip()]
            if extra:
                table.broken.append((start, f"{len(record)} cells, but the header has {width}"))
                continue
            cells = {
                name: value.strip()
                for name, value in zip(table.columns, record, strict=False)
                if value.strip()
            }
            if "" in cells:  # trailing empty titles are common; data under them is not
                table.broken.append((start, "a value in a column without a title"))
                continue
            table.rows.append(CsvRow(line=start, cells=cells))
    except csv.Error as exc:
        raise BadFile(
            Text(f"第 {reader.line_num} 行无法解析：{exc}", f"Line {reader.line_num}: {exc}"),
            line=reader.line_num,
        ) from None
    return table


def boolean_cell(value: str) -> Any:
    """True/False for a known word; otherwise the text itself, for the schema to reject."""
    return BOOLEAN_WORDS.get(value.strip().lower(), value)


def date_cell(value: str) -> str:
    match = _LOOSE_DATE.fullmatch(value.strip())
    if match is None:
        return value
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def list_cell(value: str) -> list[str]:
    return [item.strip() for item in _LIST_SEPARATOR.split(value) if item.strip()]
