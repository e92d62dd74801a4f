"""The registry's domain errors (the kit renders them as problem+json)."""

from __future__ import annotations

from firesafe_kit.http.problems import Conflict, Unprocessable


class InvalidReference(Unprocessable):
    code = "invalid_reference"
    title_zh = "引用的对象不存在、已删除或不在您的辖区内"
    title_en = "A referenced record does not exist, was deleted, or is outside your jurisdiction"

    def __init__(self, *loc: str | int, msg: str = "unknown, deleted or not visible") -> None:
        super().__init__(
            detail=".".join(str(part) for part in loc),
            errors=[{"loc": ["body", *loc], "msg": msg, "type": "reference"}],
        )


class RuleViolation(Unprocessable):
    code = "rule_violation"
    title_zh = "数据不符合业务规则"
    title_en = "The data break a registry rule"

    def __init__(self, *loc: str | int, msg: str) -> None:
        super().__init__(detail=msg, errors=[{"loc": ["body", *loc], "msg": msg, "type": "rule"}])


class DuplicateCode(Conflict):
    code = "duplicate_code"
    title_zh = "行政区划代码已被使用"
    title_en = "This administrative code is already in use"


class StationHasHead(Conflict):
    code = "station_has_head"
    title_zh = "该微型消防站已有站长"
    title_en = "This station already has a head"
