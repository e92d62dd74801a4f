"""Which key a request carries, without a database round trip per request: lookups (unknown
keys included) are cached for `cache_seconds`, and `last_used_at` is written in the background
at most once per `touch_seconds` per key.

A revocation made through this gateway takes effect at once here; on other replicas within
`cache_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from firesafe_kit.auth.actor import Actor, Scope
from firesafe_kit.clock import utcnow
from firesafe_kit.db import Database
from gateway.api_keys import service
from gateway.api_keys.key_material import hash_key
from gateway.door.ttl_cache import TtlCache
from gateway.models import ApiKey

log = logging.getLogger(__name__)

_MAX_CACHED = 10_000


@dataclass(frozen=True)
class KnownKey:
    id: str
    actor: Actor  # who a request with this key acts as
    rate_limit_per_minute: int
    expires_at: datetime | None
    revoked: bool
    last_used_at: datetime | None

    @classmethod
    def of(cls, record: ApiKey) -> KnownKey:
        actor = Actor(
            sub=f"api-key:{record.id}",
            name=record.name,
            roles=frozenset(record.roles),
            jurisdiction=tuple(Scope.parse(scope) for scope in record.jurisdiction),
            via="api_key",
        )
        return cls(
            id=record.id,
            actor=actor,
            rate_limit_per_minute=record.rate_limit_per_minute,
            expires_at=record.expires_at,
            revoked=record.revoked_at is not None,
            last_used_at=record.last_used_at,
        )


class ApiKeyLookup:
    def __init__(
        self,
        database: Database,
        *,
        cache_seconds: float,
        touch_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.cache_seconds = cache_seconds
        self.touch_seconds = touch_seconds
        self.monotonic = monotonic
        # key hash -> (the key,), or (None,) for a key that does not exist
        self._cache: TtlCache[str, tuple[KnownKey | None]] = TtlCache(
            max_entries=_MAX_CACHED, monotonic=monotonic
        )
        self._loading: dict[str, asyncio.Task[KnownKey | None]] = {}
        self._touched: dict[str, float] = {}  # key id -> when we last wrote last_used_at
        self._writes: set[asyncio.Task[None]] = set()

    async def find(self, key: str) -> KnownKey | None:
        key_hash = hash_key(key)
        if (cached := self._cache.get(key_hash)) is not None:
            return cached[0]
        task = self._loading.get(key_hash)
        if task is None:
            # Concurrent requests with one uncached key share one query.
            task = asyncio.create_task(self._load(key_hash))
            self._loading[key_hash] = task
            task.add_done_callback(lambda _: self._loading.pop(key_hash, None))
        return await asyncio.shield(task)

    async def _load(self, key_hash: str) -> KnownKey | None:
        async with self.database.session() as session:
            record = await service.find_by_hash(session=session, key_hash=key_hash)
        known = KnownKey.of(record) if record is not None else None
        self._cache.put(key_hash, (known,), ttl=self.cache_seconds)
        return known

    def forget(self, key_id: str) -> None:
        """After a change to the key made here (revocation): the next request reads it again."""
        self._cache.discard_where(lambda entry: entry[0] is not None and entry[0].id == key_id)

    def used(self, known: KnownKey) -> None:
        """Note a request made with `known`; writes `last_used_at` when it is due."""
        now = self.monotonic()
        last = self._touched.get(known.id)
        if last is None and known.last_used_at is not None:
            # Written recently, maybe by another replica: count from then.
            last = now - (utcnow() - known.last_used_at).total_seconds()
        if last is not None and now - last < self.touch_seconds:
            return
        self._touched[known.id] = now
        task = asyncio.create_task(self._write_use(known.id, utcnow()))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write_use(self, key_id: str, at: datetime) -> None:
        try:
            async with self.database.session() as session:
                await service.record_use(session=session, key_id=key_id, at=at)
        except Exception:
            # Bookkeeping only: the request it describes has been served already.
            log.warning("could not record the use of API key %s", key_id, exc_info=True)

    async def aclose(self) -> None:
        """Let pending `last_used_at` writes finish (on shutdown, before the database closes)."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
