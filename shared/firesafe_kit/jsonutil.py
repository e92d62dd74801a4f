"""One JSON encoding for the platform: UTF-8 text as is (Chinese stays readable), dates and
times in ISO 8601."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID


def json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(value: Any, *, compact: bool = False) -> str:
    separators = (",", ":") if compact else None
    return json.dumps(value, ensure_ascii=False, default=json_default, separators=separators)
