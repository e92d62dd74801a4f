"""The keys themselves: 256 random bits, recognisable by their `fsk_` prefix, kept only as a
SHA-256 (a slow password hash buys nothing for a random 256-bit secret)."""

from __future__ import annotations

import hashlib
import re
import secrets

KEY_PREFIX = "fsk_"
_KEY_SHAPE = re.compile(r"fsk_[A-Za-z0-9_-]{43}")
# Shown in lists so that people can tell their keys apart; 8 random characters reveal nothing.
DISPLAY_PREFIX_LENGTH = len(KEY_PREFIX) + 8


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def display_prefix(key: str) -> str:
    return key[:DISPLAY_PREFIX_LENGTH]


def looks_like_key(value: str) -> bool:
    """Cheap shape check: anything else is refused without a database lookup."""
    return _KEY_SHAPE.fullmatch(value) is not None
