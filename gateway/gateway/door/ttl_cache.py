"""A small in-process cache whose entries expire, bounded in size (the door's caches of verified
tokens, API key lookups and internal tokens). Single event loop: no locking needed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(
        self, *, max_entries: int, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries = max_entries
        self.monotonic = monotonic
        self._entries: dict[K, tuple[float, V]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self.monotonic():
            del self._entries[key]
            return None
        return value

    def put(self, key: K, value: V, *, ttl: float) -> None:
        if ttl <= 0:
            return
        if key not in self._entries and len(self._entries) >= self.max_entries:
            self._make_room()
        self._entries[key] = (self.monotonic() + ttl, value)

    def discard_where(self, predicate: Callable[[V], bool]) -> None:
        for key in [k for k, (_, value) in self._entries.items() if predicate(value)]:
            del self._entries[key]

    def _make_room(self) -> None:
        now = self.monotonic()
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        # Still full of live entries (a flood of distinct keys): drop the oldest tenth.
        excess = len(self._entries) - self.max_entries + 1
        if excess > 0:
            for key in list(self._entries)[: max(excess, self.max_entries // 10)]:
                del self._entries[key]
