"""Webhook parts with no backends: signatures, target checks, backoff, the body sent."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import socket
from datetime import UTC, datetime
from typing import Any

import pytest

from alerts.webhooks.backoff import JITTER, backoff_seconds
from alerts.webhooks.fanout import event_body
from alerts.webhooks.signing import signature_header, verify_signature
from alerts.webhooks.targets import TargetRefused, check_target, refusal, url_problem
from firesafe_kit.events.envelope import CloudEvent

SECRET = "s3cret-of-at-least-16"
BODY = '{"id":"e1","data":{"title":"缺少防火公约"}}'.encode()
T = 1_796_112_000


# ----------------------------------------------------------------------------- signing


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature_header(SECRET, BODY, T) == f"t={T},v1={expected}"


def test_a_signature_verifies_with_its_secret_only() -> None:
    header = signature_header(SECRET, BODY, T)
    assert verify_signature(SECRET, BODY, header, now=T)
    assert not verify_signature("another-secret-16chars", BODY, header, now=T)
    assert not verify_signature(SECRET, BODY + b" ", header, now=T)  # body changed
    # The timestamp is signed: moving it breaks the signature.
    forged = header.replace(f"t={T}", f"t={T + 60}")
    assert not verify_signature(SECRET, BODY, forged, now=T + 60)


def test_old_signatures_are_refused_after_the_tolerance() -> None:
    header = signature_header(SECRET, BODY, T)
    assert verify_signature(SECRET, BODY, header, now=T + 300)
    assert verify_signature(SECRET, BODY, header, now=T - 300)  # a sender's clock ahead
    assert not verify_signature(SECRET, BODY, header, now=T + 301)
    assert verify_signature(SECRET, BODY, header, now=T + 3600, tolerance_seconds=3600)


@pytest.mark.parametrize(
    "header",
    ["", "garbage", f"t={T}", "v1=abc", "t=soon,v1=abc", f"t={T},v1=é", f"t={T},v1"],
)
def test_malformed_headers_do_not_verify(header: str) -> None:
    assert verify_signature(SECRET, BODY, header, now=T) is False


def test_any_of_several_signatures_may_match_during_a_secret_rotation() -> None:
    good = signature_header(SECRET, BODY, T).split(",")[1]
    old = signature_header("the-old-secret-xxxxx", BODY, T).split(",")[1]
    assert verify_signature(SECRET, BODY, f"t={T},{old},{good}", now=T)
    assert not verify_signature(SECRET, BODY, f"t={T},{old}", now=T)


# ----------------------------------------------------------------------------- targets


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org/firesafe",
        "http://127.0.0.1:8080/x?y=1",
        "http://[::1]/",
        "https://例子.中国/hook",
    ],
)
def test_well_formed_urls_pass(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.org/file", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("example.org/hook", "http or https"),
        ("http:///path-only", "host"),
        ("https://user:pw@example.org/", "user name or password"),
        ("https://user@example.org/", "user name or password"),
        ("https://example.org:99999/", "not a valid URL"),
        ("https://example.org:0/", "port 0"),
        ("https://exa mple.org/", "whitespace"),
        ("https://example.org/\x00", "control"),
        ("https://example.org/" + "a" * 2000, "2000"),
    ],
)
def test_malformed_urls_are_refused(url: str, problem: str) -> None:
    found = url_problem(url)
    assert found is not None and problem in found


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: judged as the IPv4 address
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata endpoints live here
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),  # shared address space (carrier-grade NAT)
    ],
)
def test_non_public_addresses_are_named(address: str, kind: str) -> None:
    assert refusal(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2001:4860:4860::8888"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://2130706433/",  # 127.0.0.1 spelled as one number
    ],
)
async def test_in_prod_private_and_loopback_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused, match="address"):
        await check_target(url, allow_private=False)
    await check_target(url, allow_private=True)  # development allows them


async def test_a_public_address_is_a_valid_target() -> None:
    await check_target("https://93.184.215.14/hook", allow_private=False)


async def test_malformed_urls_are_refused_even_where_private_targets_are_allowed() -> None:
    with pytest.raises(TargetRefused, match="http or https"):
        await check_target("ftp://127.0.0.1/", allow_private=True)


def _fake_resolver(
    monkeypatch: pytest.MonkeyPatch, answer: list[str] | Exception
) -> list[tuple[str, int]]:
    asked: list[tuple[str, int]] = []
    loop = asyncio.get_running_loop()

    async def getaddrinfo(host: str, port: int, **_kwargs: Any) -> list[Any]:
        asked.append((host, port))
        if isinstance(answer, Exception):
            raise answer
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answer]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    return asked


async def test_one_private_answer_among_public_ones_is_enough_to_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _fake_resolver(monkeypatch, ["93.184.215.14", "10.0.0.5"])
    with pytest.raises(TargetRefused, match=r"hooks\.example\.org resolves to 10\.0\.0\.5"):
        await check_target("https://hooks.example.org/x", allow_private=False)
    assert asked == [("hooks.example.org", 443)]


async def test_a_name_resolving_to_public_addresses_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _fake_resolver(monkeypatch, ["93.184.215.14"])
    await check_target("http://hooks.example.org:8080/x", allow_private=False)
    assert asked == [("hooks.example.org", 8080)]


async def test_a_name_that_does_not_resolve_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_resolver(monkeypatch, socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    with pytest.raises(TargetRefused, match=r"cannot resolve host nowhere\.example"):
        await check_target("https://nowhere.example/", allow_private=False)


# ----------------------------------------------------------------------------- backoff


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    def plain(n: int) -> float:
        return backoff_seconds(n, base=10, maximum=3600, rand=lambda: 0.0)

    assert [plain(n) for n in range(1, 7)] == [10, 20, 40, 80, 160, 320]
    assert plain(9) == 2560
    assert plain(10) == 3600
    assert plain(50) == 3600
    assert plain(10_000) == 3600  # no overflow however many attempts


def test_backoff_jitter_only_shortens_the_delay_a_little() -> None:
    shortest = backoff_seconds(3, base=10, maximum=3600, rand=lambda: 1.0)
    assert shortest == pytest.approx(40 * (1 - JITTER))
    capped = backoff_seconds(30, base=10, maximum=3600, rand=lambda: 0.5)
    assert 3600 * (1 - JITTER) <= capped < 3600
    for attempt in range(1, 20):  # the real random source stays within the bounds
        delay = backoff_seconds(attempt, base=1, maximum=60)
        plain = min(2.0 ** (attempt - 1), 60)
        assert plain * (1 - JITTER) <= delay <= plain


# ----------------------------------------------------------------------------- body


def test_the_body_is_the_event_as_cloudevents_json_in_utf8() -> None:
    event = CloudEvent(
        id="0b6c6f0e-1",
        type="firesafe.alerts.alert.raised",
        source="/firesafe/alerts",
        subject="alert-1",
        time=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        data={"title": "缺少防火公约", "count": 1},
    )
    body = event_body(event)
    assert json.loads(body) == {
        "specversion": "1.0",
        "id": "0b6c6f0e-1",
        "type": "firesafe.alerts.alert.raised",
        "source": "/firesafe/alerts",
        "subject": "alert-1",
        "time": "2026-12-01T08:00:00+00:00",
        "datacontenttype": "application/json",
        "data": {"title": "缺少防火公约", "count": 1},
    }
    assert "缺少防火公约" in body  # not \\u-escaped
    assert event_body(event) == body  # the same bytes every time
