"""Masking of personal data for readers without the `pii:read` permission.

Pure functions; `None` passes through. They never raise: stored values that do not parse (legacy
or hand-edited data) are masked more, never less.
"""

from __future__ import annotations

import re
from typing import Final, overload

from pydantic_core import PydanticCustomError

from registry.validators import normalize_mobile_phone, split_landline

__all__ = ["ADDRESS_MARKERS", "MASK", "mask_address", "mask_id_number", "mask_name", "mask_phone"]

MASK: Final = "****"
# A shorter "local number" would show too large a share of its digits.
_MIN_LOCAL: Final = 5


@overload
def mask_name(name: str) -> str: ...
@overload
def mask_name(name: None) -> None: ...
def mask_name(name: str | None) -> str | None:
    """First character, then one `*` per remaining character; a one-character name is `*`.

    `王小明` -> `王**`, `王明` -> `王*`, `买买提·艾力` -> `买*****`.
    """
    if name is None:
        return None
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


@overload
def mask_phone(phone: str) -> str: ...
@overload
def mask_phone(phone: None) -> None: ...
def mask_phone(phone: str | None) -> str | None:
    """Mobile: first 3 and last 4 digits (`13612345678` -> `136****5678`). Landline: area code
    and the last 2 digits, extension dropped (`010-62345678-123` -> `010-******78`).

    Numbers are parsed by shape only, so a stored number that fails today's rules still masks as a
    phone. Anything else keeps only its last 2 characters (7 or more characters) or nothing.
    """
    if phone is None:
        return None
    try:
        mobile = normalize_mobile_phone(phone)
    except PydanticCustomError:
        pass
    else:
        return f"{mobile[:3]}****{mobile[-4:]}"
    landline = split_landline(phone)
    if landline is not None and len(landline[1]) >= _MIN_LOCAL:
        area, local, _ = landline
        return f"{area}-{'*' * (len(local) - 2)}{local[-2:]}"
    text = phone.strip()
    if len(text) < 7:
        return "*" * len(text)
    return "*" * (len(text) - 2) + text[-2:]


@overload
def mask_id_number(id_number: str) -> str: ...
@overload
def mask_id_number(id_number: None) -> None: ...
def mask_id_number(id_number: str | None) -> str | None:
    """Keep the 6-digit region and the last 4 characters; the birth date is always hidden.

    `11010519491231002X` -> `110105********002X`. A 15-digit number of the first generation keeps
    its region and 3-digit sequence (`110105491231002` -> `110105******002`); any other length is
    masked entirely.
    """
    if id_number is None:
        return None
    text = id_number.strip().upper()
    if len(text) == 18:
        return f"{text[:6]}{'*' * 8}{text[-4:]}"
    if len(text) == 15:
        return f"{text[:6]}{'*' * 6}{text[-3:]}"
    return "*" * len(text)


# Place-level markers: what comes after them is the building, unit and room.
ADDRESS_MARKERS: Final = (
    "小区",
    "社区",
    "村",
    "花园",
    "苑",
    "大院",
    "公寓",
    "里",
    "弄",
    "路",
    "街",
    "巷",
    "号",
)
_UNIT_WORDS: Final = "号|栋|幢|座|楼|单元|层|室|户|组|期|排"
# Where numbering starts: any digit (full-width too) with the letters glued to it (B1, T3), or
# letters / Chinese numerals directly before a unit word (A座, 三号楼, 七单元).
_NUMBERING: Final = re.compile(
    r"[A-Za-zＡ-Ｚａ-ｚ]*\d"
    rf"|[A-Za-zＡ-Ｚａ-ｚ〇零一二三四五六七八九十百千两]+(?:{_UNIT_WORDS})"
)
_TRAILING_SEPARATORS: Final = " \u3000,，、;；:：-—_/#(（"
_SHORT_ADDRESS: Final = 6


def _earliest_marker_end(address: str) -> int | None:
    found = [(address.find(marker), -len(marker), marker) for marker in ADDRESS_MARKERS]
    hits = [(start, size, marker) for start, size, marker in found if start >= 0]
    if not hits:
        return None
    start, _, marker = min(hits)  # earliest start; a longer marker wins a tie
    return start + len(marker)


@overload
def mask_address(address: str) -> str: ...
@overload
def mask_address(address: None) -> None: ...
def mask_address(address: str | None) -> str | None:
    """Keep the place, hide the building, unit and room; the result always ends in `****`.

    1. Short addresses (≤ 6 characters) keep their first 2 characters.
    2. Otherwise keep up to and including the marker (`ADDRESS_MARKERS`) that starts EARLIEST
       in the address, whichever marker it is.
    3. Without a marker keep the first 6 characters.
    4. In every case the kept part also stops where numbering begins — a digit, letters glued to
       a digit, or letters / Chinese numerals before a unit word such as 号, 栋, 楼, 单元, 室 — so
       building, unit and room numbers never show, even when they come before any marker.

    Examples:
        `朝阳区幸福里小区3号楼2单元501` -> `朝阳区幸福里****` (里 starts before 小区)
        `北京市朝阳区建国路88号院3号楼` -> `北京市朝阳区建国路****`
        `海淀区中关村南大街5号` -> `海淀区中关村****`
        `北京市朝阳区88号院3号楼` -> `北京市朝阳区****` (号 is a marker, but 88 is numbering)
        `阳光家园三栋二单元501室` -> `阳光家园****` (no marker; 三栋 is numbering)
        `3号楼2单元` -> `****`
    """
    if address is None:
        return None
    text = address.strip()
    if not text:
        return ""
    if len(text) <= _SHORT_ADDRESS:
        end = 2
    else:
        marker_end = _earliest_marker_end(text)
        end = marker_end if marker_end is not None else _SHORT_ADDRESS
    numbering = _NUMBERING.search(text)
    if numbering is not None:
        end = min(end, numbering.start())
    return text[:end].rstrip(_TRAILING_SEPARATORS) + MASK
