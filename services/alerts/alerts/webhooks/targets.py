"""Where a webhook may point. A subscriber chooses the URL and the platform makes the request,
so without these checks a subscription could make the service probe its own network (SSRF):
in prod, a target that resolves to a loopback, private, link-local or otherwise non-public
address is refused, at subscription time and again before every attempt (DNS can change).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

import httpx

MAX_URL_LENGTH = 2000
SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
RESOLVE_TIMEOUT_SECONDS = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """A URL the platform will not post to; the message says why and may be shown to the
    subscriber (it names the host and address, nothing internal)."""


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook target, judged on its text alone; None when it can."""
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return "must not contain whitespace or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in range
        httpx.URL(url)  # what the worker will send to must parse there too
    except (ValueError, httpx.InvalidURL):
        return "is not a valid URL"
    if parts.scheme.lower() not in SCHEMES:
        return "must be an http or https URL"
    if "@" in parts.netloc:
        return "must not contain a user name or password"
    if not parts.hostname:
        return "must name a host"
    if port == 0:
        return "must not use port 0"
    return None


def refusal(address: IPAddress) -> str | None:
    """What kind of non-public address this is, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    kinds = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        # Shared address space (100.64/10) and the like: neither private nor public.
        ("non-public", not address.is_global),
    )
    return next((kind for kind, matches in kinds if matches), None)


async def _resolve(host: str, port: int) -> set[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:  # socket.gaierror is an OSError
        raise TargetRefused(f"cannot resolve host {host}") from exc
    addresses: set[IPAddress] = set()
    for *_rest, sockaddr in infos:
        try:
            addresses.add(ipaddress.ip_address(str(sockaddr[0])))
        except ValueError:
            continue
    if not addresses:
        raise TargetRefused(f"host {host} has no IP address")
    return addresses


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raise TargetRefused unless `url` is a valid target. With `allow_private` (development)
    only the URL's text is checked; otherwise its host is resolved and every address it
    resolves to must be public (one private answer is enough to refuse)."""
    problem = url_problem(url)
    if problem is not None:
        raise TargetRefused(f"url {problem}")
    if allow_private:
        return
    parts: SplitResult = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS[parts.scheme.lower()]
    for address in sorted(await _resolve(host, port), key=str):
        kind = refusal(address)
        if kind is not None:
            raise TargetRefused(f"host {host} resolves to {address}, a {kind} address")
