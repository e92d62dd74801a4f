"""Validated, normalized string types for the registry's request models.

Each type is a pydantic `Annotated[str, ...]`, so it works in FastAPI bodies and parameters (also
under `from __future__ import annotations`) and the validated value is a plain `str` in its
canonical form. Failures raise `PydanticCustomError` with a stable `type` (the API localizes by
type) and an English message that names the rule. Messages never echo the input: the problem
responses return `msg` to the caller and logs keep it, and these values are personal data.

Error types: `mobile_phone`, `landline_phone`, `phone_number`, `id_number`, `admin_code`,
`document_url`, `person_name`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Final, TypeAlias

from pydantic import AfterValidator, HttpUrl, TypeAdapter, ValidationError
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = [
    "PROVINCE_CODES",
    "CommunityCode",
    "DistrictCode",
    "DocumentUrl",
    "Landline",
    "MobilePhone",
    "PersonName",
    "PhoneNumber",
    "ResidentIdNumber",
    "StreetCode",
    "china_today",
    "community_code_belongs",
    "id_number_check_digit",
    "make_id_number",
    "normalize_community_code",
    "normalize_district_code",
    "normalize_document_url",
    "normalize_id_number",
    "normalize_landline",
    "normalize_mobile_phone",
    "normalize_person_name",
    "normalize_phone_number",
    "normalize_street_code",
    "split_landline",
    "street_code_belongs",
]

# Province-level codes of GB/T 2260 (first two digits of division codes and ID numbers).
PROVINCE_CODES: Final[frozenset[str]] = frozenset(
    [str(n) for n in range(11, 16)]
    + [str(n) for n in range(21, 24)]
    + [str(n) for n in range(31, 38)]
    + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)]
    + [str(n) for n in range(61, 66)]
    + ["71", "81", "82", "83"]
)

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset equals
# Asia/Shanghai for "today" and needs no tz database in slim containers.
_CHINA_TZ: Final = timezone(timedelta(hours=8), "Asia/Shanghai")


def china_today() -> date:
    """Today's date in China (Asia/Shanghai); birth dates are judged against it."""
    return datetime.now(_CHINA_TZ).date()


def _fail(error_type: str, message: str) -> PydanticCustomError:
    # The message is a str.format template for pydantic; the messages here contain no braces.
    return PydanticCustomError(error_type, message)


def _ascii_form(value: str) -> str:
    # NFKC turns full-width digits, letters, "＋", "（）" and "－" typed on Chinese IMEs into ASCII.
    return unicodedata.normalize("NFKC", value).strip()


# --- phone numbers -------------------------------------------------------------------------

_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_SEPARATORS: Final = re.compile(r"[\s-]+")
_MOBILE_MESSAGE: Final = (
    "not a mainland China mobile number: expected 11 digits starting 13–19, "
    "optionally prefixed by +86, 86 or 0086"
)
# Generous cap so no one feeds megabytes through the normalizers.
_MAX_PHONE_INPUT: Final = 40


def normalize_mobile_phone(value: str) -> str:
    """`+86 136-1234-5678` -> `13612345678`."""
    if len(value) > _MAX_PHONE_INPUT:
        raise _fail("mobile_phone", _MOBILE_MESSAGE)
    digits = _MOBILE_SEPARATORS.sub("", _ascii_form(value))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        # Only with 13 characters: a bare 11-digit mobile never starts with 86 anyway.
        digits = digits[2:]
    if not _MOBILE.fullmatch(digits):
        raise _fail("mobile_phone", _MOBILE_MESSAGE)
    return digits


# Area codes: 010 and 020–029 have 3 digits; all others are 0 + 3 digits starting 3–9.
_AREA_CODE: Final = re.compile(r"010|02[0-9]|0[3-9][0-9]{2}")
_LANDLINE: Final = re.compile(
    r"""
    (?:
        \(\s*(?P<paren>[0-9]{3,4})\s*\)\s*-?\s*   # (010) or (0571), optional - or space
      | (?P<separated>[0-9]{3,4})\s*[-\s]\s*      # 010- or 0571 (space)
      | (?P<bare>0[0-9]{9,11})                    # 01062345678: area code found by prefix
    )
    (?P<local>(?(bare)|[0-9]+))                   # its length is checked against the area code
    # Extension only after - or 转: a bare space would turn "0571 8765432 1" into one.
    (?:\s*(?:-|转)\s*(?P<ext>[0-9]{1,6}))?           # -123 or 转123
    """,
    re.VERBOSE | re.ASCII,
)
_LANDLINE_MESSAGE: Final = (
    "not a mainland China landline number: expected an area code (0 + 2–3 digits), "
    "a 7–8 digit local number and an optional 1–6 digit extension"
)


def _split_bare_landline(digits: str) -> tuple[str, str]:
    # Without separators the area code's length follows from its prefix (010/02x are 3 long).
    size = 3 if digits.startswith(("010", "02")) else 4
    return digits[:size], digits[size:]


def split_landline(value: str) -> tuple[str, str, str | None] | None:
    """Area code, local number and extension by shape alone, or None; no numbering rules.

    Masking uses it too, so stored numbers that no longer pass the rules still mask as phones.
    """
    if len(value) > _MAX_PHONE_INPUT:
        return None
    match = _LANDLINE.fullmatch(_ascii_form(value))
    if match is None:
        return None
    bare = match["bare"]
    if bare is not None:
        area, local = _split_bare_landline(bare)
    else:
        area, local = match["paren"] or match["separated"], match["local"]
    return area, local, match["ext"]


def normalize_landline(value: str) -> str:
    """`(010)62345678` -> `010-62345678`; `0755 82345678转123` -> `0755-82345678-123`.

    Rules: area code 010, 020–029 (3 digits) or 0 + 3 digits starting 3–9; the local number does
    not start with 0 or 1 (toll prefix, special services); 3-digit area codes take 8-digit local
    numbers, 4-digit ones 7 or 8; the extension has 1–6 digits.
    """
    parts = split_landline(value)
    if parts is None:
        raise _fail("landline_phone", _LANDLINE_MESSAGE)
    area, local, extension = parts
    if not _AREA_CODE.fullmatch(area):
        raise _fail(
            "landline_phone",
            "landline area code must be 010, 020–029 or 0 followed by 3 digits starting 3–9",
        )
    if len(area) == 3 and len(local) != 8:
        raise _fail(
            "landline_phone", "a 3-digit area code (010, 020–029) takes an 8-digit local number"
        )
    if len(area) == 4 and len(local) not in (7, 8):
        raise _fail("landline_phone", "a 4-digit area code takes a 7 or 8-digit local number")
    if local[0] in "01":
        raise _fail("landline_phone", "landline local number must not start with 0 or 1")
    return f"{area}-{local}-{extension}" if extension else f"{area}-{local}"


_PHONE_MESSAGE: Final = (
    "not a mainland China mobile (11 digits starting 13–19) "
    "or landline (0 + area code + 7–8 digits) number"
)


def normalize_phone_number(value: str) -> str:
    """A mobile (tried first) or a landline, in the canonical form of either."""
    try:
        return normalize_mobile_phone(value)
    except PydanticCustomError:
        pass
    try:
        return normalize_landline(value)
    except PydanticCustomError:
        # One message for both: the caller did not say which kind they meant.
        raise _fail("phone_number", _PHONE_MESSAGE) from None


# --- resident identity number (GB 11643) ----------------------------------------------------

_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS: Final = "10X98765432"
_ID_FORMAT: Final = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_EARLIEST_BIRTH: Final = date(1900, 1, 1)


def id_number_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character ("0"–"9" or "X") for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("expected exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def make_id_number(region6: str, birth: date, seq3: str) -> str:
    """A valid number for tests and fixtures: region + YYYYMMDD + sequence + check digit."""
    if len(region6) != 6 or not region6.isascii() or not region6.isdigit():
        raise ValueError("region6 must be 6 ASCII digits")
    if len(seq3) != 3 or not seq3.isascii() or not seq3.isdigit():
        raise ValueError("seq3 must be 3 ASCII digits")
    first17 = f"{region6}{birth:%Y%m%d}{seq3}"
    return first17 + id_number_check_digit(first17)


def _birth_date(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def normalize_id_number(value: str) -> str:
    """18-character resident identity number; a lowercase x check character is uppercased.

    Checked in this order: format, province code, birth date, check digit.
    """
    number = _ascii_form(value).upper()
    if not _ID_FORMAT.fullmatch(number):
        raise _fail(
            "id_number",
            "resident ID number must be 18 characters: 17 digits followed by a digit or X",
        )
    if number[:2] not in PROVINCE_CODES:
        raise _fail(
            "id_number", "resident ID number does not start with a valid province code (GB/T 2260)"
        )
    birth = _birth_date(number[6:14])
    if birth is None:
        raise _fail("id_number", "resident ID number birth date (digits 7–14) is not a real date")
    if not _EARLIEST_BIRTH <= birth <= china_today():
        raise _fail(
            "id_number",
            "resident ID number birth date (digits 7–14) must be between 1900-01-01 and today",
        )
    if id_number_check_digit(number[:17]) != number[17]:
        raise _fail(
            "id_number", "resident ID number check digit does not match (ISO 7064 MOD 11-2)"
        )
    return number


# --- administrative division codes (GB/T 2260 and statistical township/village codes) --------

_DIGITS: Final = re.compile(r"[0-9]+", re.ASCII)


def _division_digits(value: str, length: int, level: str) -> str:
    code = _ascii_form(value)
    if len(code) != length or not _DIGITS.fullmatch(code):
        raise _fail("admin_code", f"{level} code must be exactly {length} digits")
    if code[:2] not in PROVINCE_CODES:
        raise _fail("admin_code", f"{level} code does not start with a valid province code")
    if code[4:6] == "00":
        # Codes ending in 00 name a province or prefecture, never a county-level division.
        raise _fail(
            "admin_code", f"{level} code must name a county-level division (digits 5–6 not 00)"
        )
    return code


def normalize_district_code(value: str) -> str:
    """6-digit county-level code, e.g. `110105` (北京市朝阳区)."""
    return _division_digits(value, 6, "district")


def normalize_street_code(value: str) -> str:
    """9-digit township-level code: county code + 3 digits (not 000), e.g. `110105001`."""
    code = _division_digits(value, 9, "street")
    if code[6:9] == "000":
        raise _fail("admin_code", "street code township part (digits 7–9) must not be 000")
    return code


def normalize_community_code(value: str) -> str:
    """12-digit village-level code: street code + 3 digits (not 000), e.g. `110105001002`."""
    code = _division_digits(value, 12, "community")
    if code[6:9] == "000":
        raise _fail("admin_code", "community code township part (digits 7–9) must not be 000")
    if code[9:12] == "000":
        raise _fail("admin_code", "community code village part (digits 10–12) must not be 000")
    return code


def _is_digits(value: str, length: int) -> bool:
    return len(value) == length and _DIGITS.fullmatch(value) is not None


def street_code_belongs(street_code: str, district_code: str) -> bool:
    """Whether a 9-digit street code lies in a 6-digit district (prefix check only)."""
    return (
        _is_digits(street_code, 9)
        and _is_digits(district_code, 6)
        and street_code.startswith(district_code)
    )


def community_code_belongs(community_code: str, street_code: str) -> bool:
    """Whether a 12-digit community code lies in a 9-digit street (prefix check only)."""
    return (
        _is_digits(community_code, 12)
        and _is_digits(street_code, 9)
        and community_code.startswith(street_code)
    )


# --- document URL -------------------------------------------------------------------------

_DOCUMENT_URL_MAX: Final = 500
_HTTP_URL: Final = TypeAdapter(HttpUrl)
_URL_TOO_LONG: Final = "document URL must be at most 500 characters"


def normalize_document_url(value: str) -> str:
    """An http(s) URL of at most 500 characters, in pydantic's normalized form (a bare host
    gains a trailing `/`, non-ASCII hosts become punycode, unsafe characters are %-escaped)."""
    text = value.strip()
    if len(text) > _DOCUMENT_URL_MAX:
        raise _fail("document_url", _URL_TOO_LONG)
    try:
        url = _HTTP_URL.validate_python(text)
    except ValidationError:
        raise _fail("document_url", "document URL must be an absolute http or https URL") from None
    if url.username is not None or url.password is not None:
        # Credentials in a stored link would be shown to everyone who can read the record.
        raise _fail("document_url", "document URL must not contain a user name or password")
    text = str(url)
    if len(text) > _DOCUMENT_URL_MAX:
        # Escaping and punycode can lengthen the URL past the limit.
        raise _fail("document_url", _URL_TOO_LONG)
    return text


# --- person name ----------------------------------------------------------------------------

_NAME_MAX: Final = 50
_INVISIBLE: Final = frozenset({"Zl", "Zp"})
# Separator dots people type in minority names; GB 18030 / public security use U+00B7.
_NAME_DOTS: Final = str.maketrans(
    dict.fromkeys("\u2022\u2027\u30fb\uff65\u2219\u22c5\u0387", "\u00b7")
)
_WHITESPACE_RUN: Final = re.compile(r"\s+")


def normalize_person_name(value: str) -> str:
    """1–50 characters after stripping, no control/format characters, at least one letter.

    Runs of spaces become one space; variant dots become `·` (`买买提•艾力` -> `买买提·艾力`).
    """
    name = value.strip()
    if not name:
        raise _fail("person_name", "name must not be empty")
    # Categories C* cover control, format (zero-width, bidi overrides), surrogate, private use
    # and unassigned code points; Zl/Zp are line and paragraph separators.
    if any(
        unicodedata.category(ch) in _INVISIBLE or unicodedata.category(ch)[0] == "C" for ch in name
    ):
        raise _fail("person_name", "name must not contain control or invisible characters")
    name = _WHITESPACE_RUN.sub(" ", name.translate(_NAME_DOTS))
    if len(name) > _NAME_MAX:
        raise _fail("person_name", "name must be at most 50 characters")
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise _fail("person_name", "name must contain at least one letter or Chinese character")
    return name


# --- the Annotated types ------------------------------------------------------------------


def _schema(description: str, example: str, **extra: object) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "description": description, "examples": [example], **extra}
    )


MobilePhone: TypeAlias = Annotated[
    str,
    AfterValidator(normalize_mobile_phone),
    _schema("Mainland China mobile number; +86 and separators accepted", "13612345678"),
]
Landline: TypeAlias = Annotated[
    str,
    AfterValidator(normalize_landline),
    _schema("Mainland China landline, normalized to 0AA(A)-NNNNNNN(N)[-EXT]", "010-62345678"),
]
PhoneNumber: TypeAlias = Annotated[
    str,
    AfterValidator(normalize_phone_number),
    _schema("Mainland China mobile or landline number", "13612345678"),
]
ResidentIdNumber: TypeAlias = Annotated[
    str,
    AfterValidator(normalize_id_number),
    _schema("18-character resident identity number (GB 11643)", "11010519491231002X"),
]
DistrictCode: TypeAlias = Annotated[
    str,
    AfterValidator(normalize_district_code),
    _schema("6-digit county-level division code (GB/T 2260)", "110105"),
]
StreetCode: TypeAlias = Annotated[
    str,
    AfterValidator(normalize_street_code),
    _schema("9-digit township-level (street) division code", "110105001"),
]
CommunityCode: TypeAlias = Annotated[
    str,
    AfterValidator(normalize_community_code),
    _schema("12-digit village-level (community) division code", "110105001002"),
]
DocumentUrl: TypeAlias = Annotated[
    str,
    AfterValidator(normalize_document_url),
    _schema(
        "http(s) URL of a document", "https://example.org/doc.pdf", format="uri", maxLength=500
    ),
]
PersonName: TypeAlias = Annotated[
    str,
    AfterValidator(normalize_person_name),
    _schema("Person's name, 1–50 characters", "王小明"),
]
