"""The registry's validated string types, exercised through pydantic models and a FastAPI app the
way the request schemas use them: accepted inputs come out normalized, rejected ones carry a
stable error type and a message that names the rule without echoing the input."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from registry import validators
from registry.validators import (
    PROVINCE_CODES,
    CommunityCode,
    DistrictCode,
    DocumentUrl,
    Landline,
    MobilePhone,
    PersonName,
    PhoneNumber,
    ResidentIdNumber,
    StreetCode,
    china_today,
    community_code_belongs,
    id_number_check_digit,
    make_id_number,
    street_code_belongs,
)


class Person(BaseModel):
    name: PersonName | None = None
    mobile: MobilePhone | None = None
    landline: Landline | None = None
    phone: PhoneNumber | None = None
    id_number: ResidentIdNumber | None = None
    document_url: DocumentUrl | None = None


class Division(BaseModel):
    district: DistrictCode | None = None
    street: StreetCode | None = None
    community: CommunityCode | None = None


def only_error(exc: pytest.ExceptionInfo[ValidationError]) -> tuple[str, str]:
    errors = exc.value.errors()
    assert len(errors) == 1, errors
    return errors[0]["type"], errors[0]["msg"]


def person_error(field: str, value: str) -> tuple[str, str]:
    with pytest.raises(ValidationError) as exc:
        Person.model_validate({field: value})
    error_type, message = only_error(exc)
    assert value.strip() == "" or value.strip() not in message  # personal data is never echoed
    return error_type, message


def division_error(field: str, value: str) -> tuple[str, str]:
    with pytest.raises(ValidationError) as exc:
        Division.model_validate({field: value})
    return only_error(exc)


# --- mobile -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13612345678",
        "+86 136 1234 5678",
        "+86-136-1234-5678",
        "86 13612345678",
        "0086 136 1234 5678",
        "  13612345678  ",
        "１３６１２３４５６７８",  # full-width digits from a Chinese IME
    ],
)
def test_mobile_accepts_prefixes_and_separators(raw: str) -> None:
    assert Person(mobile=raw).mobile == "13612345678"


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_mobile_accepts_every_second_digit_3_to_9(prefix: str) -> None:
    number = prefix + "912345678"
    assert Person(mobile=number).mobile == number


@pytest.mark.parametrize(
    "raw",
    [
        "136123456789",  # 12 digits
        "1361234567",  # 10 digits
        "12012345678",  # second digit 2
        "11012345678",
        "23612345678",
        "+85 13612345678",
        "8613612345678 1",
        "136 1234 567a",
        "010-62345678",  # a landline is not a mobile
        "",
        "1" * 100,
    ],
)
def test_mobile_rejects(raw: str) -> None:
    error_type, message = person_error("mobile", raw)
    assert error_type == "mobile_phone"
    assert "11 digits starting 13–19" in message


def test_mobile_refuses_a_number_instead_of_a_string() -> None:
    with pytest.raises(ValidationError):
        Person.model_validate({"mobile": 13612345678})


# --- landline ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("010-62345678", "010-62345678"),
        ("010 62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("(010)62345678", "010-62345678"),
        ("（010）62345678", "010-62345678"),  # full-width parentheses
        ("(0571)8765432", "0571-8765432"),
        ("(0571) 87654321", "0571-87654321"),
        ("05718765432", "0571-8765432"),
        ("020-87654321", "020-87654321"),
        ("02987654321", "029-87654321"),
        ("0755 82345678-123", "0755-82345678-123"),
        ("0755-82345678 - 123456", "0755-82345678-123456"),
        ("0755-82345678转8001", "0755-82345678-8001"),
        ("0931-8123456", "0931-8123456"),
    ],
)
def test_landline_normalizes(raw: str, normalized: str) -> None:
    assert Person(landline=raw).landline == normalized


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("010-6234567", "3-digit area code (010, 020–029) takes an 8-digit"),
        ("0101234567", "3-digit area code (010, 020–029) takes an 8-digit"),
        ("021-876543210", "3-digit area code (010, 020–029) takes an 8-digit"),
        ("0571-0123456", "must not start with 0 or 1"),
        # The brief's `010-12345678`: a local number starting with 1 is a special-service prefix.
        ("010-12345678", "must not start with 0 or 1"),
        ("0571-823456", "4-digit area code takes a 7 or 8-digit"),
        ("011-62345678", "area code must be 010, 020–029"),
        ("0208-7654321", "area code must be 010, 020–029"),
        ("0171-8765432", "area code must be 010, 020–029"),
        ("62345678", "not a mainland China landline"),
        ("0755-82345678-1234567", "not a mainland China landline"),  # 7-digit extension
        ("0571 8765432 1", "not a mainland China landline"),  # a bare space is no extension mark
        ("010-6234-5678", "3-digit area code (010, 020–029) takes an 8-digit"),  # no inner -
        ("0571-876543210", "4-digit area code takes a 7 or 8-digit"),
        ("13612345678", "not a mainland China landline"),
    ],
)
def test_landline_rejects(raw: str, rule: str) -> None:
    error_type, message = person_error("landline", raw)
    assert error_type == "landline_phone"
    assert rule in message


# --- phone number (mobile or landline) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("+86 136 1234 5678", "13612345678"),
        ("(0571)8765432", "0571-8765432"),
        ("0755 82345678-123", "0755-82345678-123"),
        ("01062345678", "010-62345678"),
    ],
)
def test_phone_number_takes_mobile_or_landline(raw: str, normalized: str) -> None:
    assert Person(phone=raw).phone == normalized


@pytest.mark.parametrize("raw", ["12012345678", "136123456789", "110", "010-6234567", "phone"])
def test_phone_number_rejects_with_one_stable_type(raw: str) -> None:
    error_type, message = person_error("phone", raw)
    assert error_type == "phone_number"
    assert message == (
        "not a mainland China mobile (11 digits starting 13–19) "
        "or landline (0 + area code + 7–8 digits) number"
    )


# --- resident identity number -----------------------------------------------------------------


def with_check_digit(first17: str) -> str:
    return first17 + id_number_check_digit(first17)


def test_check_digit_matches_the_standards_examples() -> None:
    # Both worked examples of GB 11643-1999.
    assert id_number_check_digit("11010519491231002") == "X"
    assert id_number_check_digit("44052418800101001") == "4"


def test_check_digit_agrees_with_the_closed_form() -> None:
    # GB 11643 states the check as (12 - S mod 11) mod 11, with 10 written X.
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    for seq in range(300):
        first17 = f"3201021985070{seq:04d}"
        value = (12 - sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11) % 11
        assert id_number_check_digit(first17) == ("X" if value == 10 else str(value))


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100a"])
def test_check_digit_needs_17_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        id_number_check_digit(bad)


@pytest.mark.parametrize(
    ("region", "birth", "seq"),
    [
        ("110105", date(1949, 12, 31), "002"),
        ("440524", date(1980, 1, 1), "001"),
        ("310115", date(2000, 2, 29), "123"),
        ("650102", date(1900, 1, 1), "999"),
        ("820000", date(2010, 6, 15), "000"),
        ("540102", date(1975, 11, 30), "457"),
    ],
)
def test_generated_id_numbers_are_accepted(region: str, birth: date, seq: str) -> None:
    number = make_id_number(region, birth, seq)
    assert len(number) == 18 and number.startswith(region + f"{birth:%Y%m%d}{seq}")
    assert Person(id_number=number).id_number == number


def test_every_check_character_is_reachable_and_accepted() -> None:
    seen = set()
    for seq in range(200):
        number = make_id_number("110105", date(1990, 5, 17), f"{seq:03d}")
        assert Person(id_number=number).id_number == number
        seen.add(number[-1])
    assert seen == set("0123456789X")


def test_id_number_lowercase_x_is_uppercased_and_full_width_is_accepted() -> None:
    assert Person(id_number="11010519491231002x").id_number == "11010519491231002X"
    assert Person(id_number=" １１０１０５１９４９１２３１００２Ｘ ").id_number == (
        "11010519491231002X"
    )


def test_id_number_wrong_check_digit_is_rejected() -> None:
    valid = make_id_number("320102", date(1985, 7, 1), "234")
    for wrong in "0123456789X":
        if wrong == valid[-1]:
            continue
        error_type, message = person_error("id_number", valid[:17] + wrong)
        assert error_type == "id_number"
        assert "check digit" in message


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002",  # 17
        "11010519491231002X1",  # 19
        "1101051949123100XX",  # X not last
        "X10105194912310021",
        "11010519491231002Y",
        "110105 19491231002X",
        "",
    ],
)
def test_id_number_format_is_checked(raw: str) -> None:
    error_type, message = person_error("id_number", raw)
    assert error_type == "id_number"
    assert "18 characters: 17 digits followed by a digit or X" in message


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "38", "47", "55", "60", "66", "99"])
def test_id_number_province_is_checked(province: str) -> None:
    number = make_id_number(province + "0101", date(1990, 1, 1), "123")
    error_type, message = person_error("id_number", number)
    assert error_type == "id_number"
    assert "province code" in message


@pytest.mark.parametrize("birth", ["19990231", "20230229", "19991301", "19990000", "19990132"])
def test_id_number_birth_date_must_be_real(birth: str) -> None:
    number = with_check_digit("110105" + birth + "123")
    error_type, message = person_error("id_number", number)
    assert error_type == "id_number"
    assert "not a real date" in message


def test_id_number_birth_date_in_a_leap_year_is_real() -> None:
    number = with_check_digit("110105" + "20000229" + "123")
    assert Person(id_number=number).id_number == number


def test_id_number_birth_date_range() -> None:
    too_old = with_check_digit("110105" + "18991231" + "123")
    future = make_id_number("110105", china_today() + timedelta(days=30), "123")
    for number in (too_old, future):
        error_type, message = person_error("id_number", number)
        assert error_type == "id_number"
        assert "between 1900-01-01 and today" in message


def test_id_number_birth_today_is_accepted_tomorrow_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pin "today" in China so the boundary does not race midnight.
    monkeypatch.setattr(validators, "china_today", lambda: date(2024, 3, 1))
    today = make_id_number("110105", date(2024, 3, 1), "001")
    tomorrow = make_id_number("110105", date(2024, 3, 2), "001")
    assert Person(id_number=today).id_number == today
    assert "between 1900-01-01 and today" in person_error("id_number", tomorrow)[1]


def test_china_today_is_utc_plus_8() -> None:
    from datetime import UTC, datetime

    assert china_today() in {
        (datetime.now(UTC) + timedelta(hours=8)).date() + timedelta(days=delta)
        for delta in (-1, 0)  # the call straddling midnight
    }


def test_make_id_number_refuses_bad_parts() -> None:
    with pytest.raises(ValueError, match="region6"):
        make_id_number("11010", date(1990, 1, 1), "123")
    with pytest.raises(ValueError, match="seq3"):
        make_id_number("110105", date(1990, 1, 1), "12a")


# --- administrative division codes -------------------------------------------------------------


def test_province_codes_are_those_of_gb_t_2260() -> None:
    # 34 province-level divisions plus 83, used in residence permits of Taiwan residents.
    assert len(PROVINCE_CODES) == 35
    assert {"11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65"} <= (
        PROVINCE_CODES
    )
    assert {"71", "81", "82", "83"} <= PROVINCE_CODES
    assert not {"10", "16", "24", "30", "38", "40", "47", "55", "66", "72", "84", "99"} & (
        PROVINCE_CODES
    )


def test_division_codes_are_accepted_and_normalized() -> None:
    division = Division(
        district="110105", street=" 110105001 ", community="１１０１０５００１００２"
    )
    assert division.district == "110105"
    assert division.street == "110105001"
    assert division.community == "110105001002"
    assert Division(district="659001").district == "659001"  # a county-level city of Xinjiang


@pytest.mark.parametrize(
    ("field", "raw", "rule"),
    [
        ("district", "110100", "county-level division (digits 5–6 not 00)"),
        ("district", "110000", "county-level division (digits 5–6 not 00)"),
        ("district", "990101", "valid province code"),
        ("district", "100101", "valid province code"),
        ("district", "11010", "exactly 6 digits"),
        ("district", "1101051", "exactly 6 digits"),
        ("district", "11010a", "exactly 6 digits"),
        ("district", "", "exactly 6 digits"),
        ("street", "110105000", "township part (digits 7–9) must not be 000"),
        ("street", "110100001", "county-level division"),
        ("street", "990105001", "valid province code"),
        ("street", "110105", "exactly 9 digits"),
        ("street", "1101050010", "exactly 9 digits"),
        ("community", "110105001000", "village part (digits 10–12) must not be 000"),
        ("community", "110105000002", "township part (digits 7–9) must not be 000"),
        ("community", "110100001002", "county-level division"),
        ("community", "990105001002", "valid province code"),
        ("community", "110105001", "exactly 12 digits"),
        ("community", "110105-001-002", "exactly 12 digits"),
    ],
)
def test_division_codes_are_rejected(field: str, raw: str, rule: str) -> None:
    error_type, message = division_error(field, raw)
    assert error_type == "admin_code"
    assert rule in message


def test_codes_belong_by_prefix() -> None:
    assert street_code_belongs("110105001", "110105")
    assert not street_code_belongs("110106001", "110105")
    assert not street_code_belongs("110105", "110105")  # a district is not its own street
    assert not street_code_belongs("1101050011", "110105")
    assert not street_code_belongs("110105001", "1101")
    assert community_code_belongs("110105001002", "110105001")
    assert not community_code_belongs("110105002002", "110105001")
    assert not community_code_belongs("110105001", "110105001")
    assert not community_code_belongs("110105001002", "110105")


# --- document URL ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("https://example.org/plans/2024.pdf", "https://example.org/plans/2024.pdf"),
        ("http://example.org", "http://example.org/"),
        ("  HTTPS://Example.ORG/a b.pdf ", "https://example.org/a%20b.pdf"),
        ("https://files.example.org:8443/x?id=1", "https://files.example.org:8443/x?id=1"),
    ],
)
def test_document_url_is_normalized_to_a_string(raw: str, normalized: str) -> None:
    url = Person(document_url=raw).document_url
    assert url == normalized and type(url) is str


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("ftp://example.org/a.pdf", "absolute http or https URL"),
        ("javascript:alert(1)", "absolute http or https URL"),
        ("/relative/path.pdf", "absolute http or https URL"),
        ("example.org/a.pdf", "absolute http or https URL"),
        ("https://user:secret@example.org/a.pdf", "must not contain a user name or password"),
        ("https://example.org/" + "a" * 481, "at most 500 characters"),
        ("https://example.org/" + "空" * 100, "at most 500 characters"),  # long once %-escaped
    ],
)
def test_document_url_is_rejected(raw: str, rule: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Person(document_url=raw)
    error_type, message = only_error(exc)
    assert error_type == "document_url"
    assert rule in message


def test_document_url_of_exactly_500_characters_is_accepted() -> None:
    url = "https://example.org/" + "a" * 480
    assert Person(document_url=url).document_url == url


# --- person name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("王小明", "王小明"),
        ("欧阳娜娜", "欧阳娜娜"),
        ("买买提·艾力", "买买提·艾力"),
        ("买买提•艾力", "买买提·艾力"),  # bullet typed for the separator dot
        ("买买提・艾力", "买买提·艾力"),  # katakana middle dot
        ("  王小明\u3000", "王小明"),
        ("John  Smith", "John Smith"),
        ("李", "李"),
        ("王" * 50, "王" * 50),
    ],
)
def test_person_name_is_accepted(raw: str, normalized: str) -> None:
    assert Person(name=raw).name == normalized


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("\u3000", "must not be empty"),
        ("王\x00明", "control or invisible characters"),
        ("王\n明", "control or invisible characters"),
        ("王\t明", "control or invisible characters"),
        ("王\u200b明", "control or invisible characters"),  # zero-width space
        ("王\u202e明", "control or invisible characters"),  # right-to-left override
        ("王\u2028明", "control or invisible characters"),
        ("王" * 51, "at most 50 characters"),
        ("123", "at least one letter"),
        ("·", "at least one letter"),
        ("- -", "at least one letter"),
    ],
)
def test_person_name_is_rejected(raw: str, rule: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Person(name=raw)
    error_type, message = only_error(exc)
    assert error_type == "person_name"
    assert rule in message


# --- the types inside FastAPI ---------------------------------------------------------------


class ResidentIn(BaseModel):
    name: PersonName
    phone: PhoneNumber
    id_number: ResidentIdNumber | None = None
    community: CommunityCode


def make_app() -> FastAPI:
    app = FastAPI()

    @app.post("/residents")
    def create(resident: ResidentIn) -> ResidentIn:
        return resident

    @app.get("/districts")
    def lookup(code: DistrictCode) -> dict[str, str]:
        return {"code": code}

    return app


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://t")


async def test_fastapi_body_is_validated_and_normalized() -> None:
    number = make_id_number("110105", date(1990, 1, 1), "123")
    async with client() as http:
        ok = await http.post(
            "/residents",
            json={
                "name": " 买买提·艾力 ",
                "phone": "+86 136-1234-5678",
                "id_number": number.lower(),
                "community": "110105001002",
            },
        )
        bad = await http.post(
            "/residents",
            json={"name": "王小明", "phone": "12012345678", "community": "110105001000"},
        )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {
        "name": "买买提·艾力",
        "phone": "13612345678",
        "id_number": number,
        "community": "110105001002",
    }
    assert bad.status_code == 422
    by_field = {error["loc"][-1]: error["type"] for error in bad.json()["detail"]}
    assert by_field == {"phone": "phone_number", "community": "admin_code"}


async def test_fastapi_query_parameter_is_validated() -> None:
    async with client() as http:
        accepted = await http.get("/districts", params={"code": " 110105 "})
        refused = await http.get("/districts", params={"code": "110100"})
        schema = (await http.get("/openapi.json")).json()
    assert accepted.json() == {"code": "110105"}
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["type"] == "admin_code"
    fields = schema["components"]["schemas"]["ResidentIn"]["properties"]
    assert fields["phone"]["type"] == "string"
    assert fields["community"]["examples"] == ["110105001002"]
