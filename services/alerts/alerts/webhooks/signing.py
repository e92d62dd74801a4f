"""Webhook signatures: `X-Firesafe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.

The MAC covers `"<t>.<raw body>"`, so a receiver can tell the body is ours and unchanged, and
refuse an old request replayed (the timestamp is signed too). Receivers may copy
`verify_signature`: it depends on the standard library only.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Firesafe-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def _mac(secret: str, body: bytes, timestamp: int) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={_mac(secret, body, timestamp)}"


def verify_signature(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: int,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """True when `header` signs `body` with `secret` and its `t` is within the tolerance of
    `now`. Several `v1=` values are accepted (a sender may sign with an old and a new secret
    while rotating)."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates or abs(now - timestamp) > tolerance_seconds:
        return False
    expected = _mac(secret, body, timestamp).encode()
    # Bytes: compare_digest refuses non-ASCII str. Every candidate is compared, so the time
    # taken says nothing about which one (if any) is right.
    matches = [hmac.compare_digest(expected, c.encode("utf-8")) for c in candidates]
    return any(matches)
