"""Sends due webhook deliveries and records what happened.

A pass claims a few due deliveries in a short transaction (`FOR UPDATE SKIP LOCKED` on
PostgreSQL; SQLite serialises writers) and moves their `next_attempt_at` past a lease, so that
another replica, or this one after a crash mid-send, leaves them alone until the lease runs
out. It then sends them concurrently, with no transaction open, and records each outcome in
its own transaction. Every time comes from the context's clock, so tests move time instead of
waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts.context import AlertsContext
from alerts.metrics import WEBHOOK_ATTEMPTS
from alerts.models import Delivery, DeliveryAttempt, Subscription
from alerts.webhooks.backoff import backoff_seconds
from alerts.webhooks.signing import HEADER, signature_header
from alerts.webhooks.targets import RESOLVE_TIMEOUT_SECONDS, TargetRefused, check_target
from firesafe_kit.db import Database
from firesafe_kit.runtime import pause

log = logging.getLogger(__name__)

# Claimed per pass and sent at once: each claimed delivery starts sending immediately, so
# the lease only has to cover one attempt, not a queue of them.
CONCURRENCY = 10
LEASE_MARGIN_SECONDS = 30.0
MAX_ERROR_LENGTH = 1000
MAX_REASON_LENGTH = 500
USER_AGENT = "firesafe-webhooks/1"


@dataclass(frozen=True)
class Job:
    """A claimed delivery with what sending it needs."""

    delivery_id: str
    subscription_id: str
    event_id: str
    event_type: str
    body: bytes
    attempts: int  # before this one
    url: str
    secret: str


@dataclass(frozen=True)
class Outcome:
    number: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float | None
    request_headers: dict[str, str]

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class DeliveryWorker:
    def __init__(self, db: Database, context: AlertsContext) -> None:
        self.db = db
        self.context = context
        self._client: httpx.AsyncClient | None = None
        self._stop: asyncio.Event | None = None  # set by run(): a backlog yields to shutdown

    @property
    def _timeout(self) -> float:
        return self.context.settings.webhook_timeout_seconds

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._timeout,
                # A redirect could lead past the target check to an internal address.
                follow_redirects=False,
                # No proxies from the environment: the target check must judge the real peer.
                trust_env=False,
                headers={"User-Agent": USER_AGENT},
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        try:
            while not stop.is_set():
                try:
                    await self.deliver_due()
                except Exception:  # a database outage must not end the loop
                    log.exception("webhook delivery pass failed; trying again next time")
                await pause(stop, self.context.settings.webhook_poll_seconds)
        finally:
            await self.aclose()

    async def deliver_due(self) -> int:
        """Attempt every delivery due now; how many attempts were made."""
        total = 0
        while True:
            jobs = await self._claim()
            await asyncio.gather(*(self._deliver(job) for job in jobs))
            total += len(jobs)
            if len(jobs) < CONCURRENCY or (self._stop is not None and self._stop.is_set()):
                return total

    async def _claim(self) -> list[Job]:
        now = self.context.clock.now()
        statement = (
            select(Delivery, Subscription.url, Subscription.secret)
            .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
            .where(
                Delivery.status == "pending",
                col(Delivery.next_attempt_at) <= now,
                # A disabled subscription's deliveries wait, and resume when it is enabled.
                Subscription.status == "active",
                col(Subscription.deleted_at).is_(None),
            )
            .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
            .limit(CONCURRENCY)
        )
        if self.db.dialect == "postgresql":
            # Lock the deliveries only: the subscription stays free for its API writers.
            statement = statement.with_for_update(skip_locked=True, of=Delivery)
        lease_until = now + timedelta(
            seconds=RESOLVE_TIMEOUT_SECONDS + self._timeout + LEASE_MARGIN_SECONDS
        )
        async with self.db.transaction() as session:
            rows = list(await session.exec(statement))
            if not rows:
                return []
            ids = [delivery.id for delivery, _url, _secret in rows]
            await session.exec(
                update(Delivery)
                .where(col(Delivery.id).in_(ids))
                .values(next_attempt_at=lease_until)
                .execution_options(synchronize_session=False)
            )
        return [
            Job(
                delivery_id=delivery.id,
                subscription_id=delivery.subscription_id,
                event_id=delivery.event_id,
                event_type=delivery.event_type,
                body=delivery.body.encode("utf-8"),
                attempts=delivery.attempts,
                url=url,
                secret=secret,
            )
            for delivery, url, secret in rows
        ]

    async def _deliver(self, job: Job) -> None:
        try:
            outcome = await self._send(job)
            await self._record(job, outcome)
            WEBHOOK_ATTEMPTS.labels("succeeded" if outcome.succeeded else "failed").inc()
        except Exception:  # one delivery's trouble must not sink the others of the pass
            log.exception("webhook delivery %s: attempt not recorded", job.delivery_id)

    async def _send(self, job: Job) -> Outcome:
        at = self.context.clock.now()
        headers = {
            "Content-Type": "application/json",
            "X-Firesafe-Event-Id": job.event_id,
            "X-Firesafe-Event-Type": job.event_type,
            # The attempt's time: a receiver can refuse a replay of an old request.
            HEADER: signature_header(job.secret, job.body, int(at.timestamp())),
        }
        number = job.attempts + 1
        status_code: int | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            await check_target(
                job.url, allow_private=self.context.settings.private_webhook_targets_allowed
            )
            # httpx's timeout is per phase; this bounds the whole request (a receiver that
            # trickles bytes could otherwise hold the attempt past its lease).
            async with asyncio.timeout(self._timeout):
                client = self._http()
                async with client.stream("POST", job.url, content=job.body, headers=headers) as r:
                    status_code = r.status_code  # the body is not read: only the status counts
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except TargetRefused as exc:
            error = f"target refused: {exc}"
        except (TimeoutError, httpx.TimeoutException):
            error = f"timed out after {self._timeout:g}s"
        except Exception as exc:  # TLS, protocol, connection: this attempt failed, not the worker
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        return Outcome(
            number=number,
            at=at,
            status_code=status_code,
            error=error and error[:MAX_ERROR_LENGTH],
            duration_ms=duration_ms,
            request_headers=headers,
        )

    async def _record(self, job: Job, outcome: Outcome) -> None:
        settings = self.context.settings
        now = self.context.clock.now()
        delivery_values: dict[str, object] = {
            "attempts": outcome.number,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        if outcome.succeeded:
            delivery_values.update(status="succeeded", delivered_at=now)
        elif outcome.number >= settings.webhook_max_attempts:
            delivery_values.update(status="failed")
        else:
            delay = backoff_seconds(
                outcome.number,
                base=settings.webhook_backoff_base_seconds,
                maximum=settings.webhook_backoff_max_seconds,
            )
            delivery_values.update(next_attempt_at=now + timedelta(seconds=delay))
        async with self.db.transaction() as session:
            session.add(
                DeliveryAttempt(
                    delivery_id=job.delivery_id,
                    subscription_id=job.subscription_id,
                    number=outcome.number,
                    at=outcome.at,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=outcome.duration_ms,
                    request_headers=outcome.request_headers,
                )
            )
            # Guarded by the attempt count: if the lease ran out and another worker recorded
            # this delivery meanwhile, its record stands and this attempt is only logged.
            changed = await session.exec(
                update(Delivery)
                .where(
                    col(Delivery.id) == job.delivery_id,
                    col(Delivery.status) == "pending",
                    col(Delivery.attempts) == job.attempts,
                )
                .values(**delivery_values)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:
                log.warning("webhook delivery %s was recorded by another worker", job.delivery_id)
                return
            await self._count(session, job.subscription_id, outcome, now)

    async def _count(
        self, session: AsyncSession, subscription_id: str, outcome: Outcome, now: datetime
    ) -> None:
        """Failures in a row, per subscription; too many disable it. In-place arithmetic, so
        deliveries of one subscription finishing together all count."""
        subscription = col(Subscription.id) == subscription_id
        if outcome.succeeded:
            await session.exec(
                update(Subscription)
                .where(subscription, col(Subscription.consecutive_failures) != 0)
                .values(consecutive_failures=0)
            )
            return
        await session.exec(
            update(Subscription)
            .where(subscription)
            .values(consecutive_failures=col(Subscription.consecutive_failures) + 1)
        )
        limit = self.context.settings.webhook_disable_after
        reason = f"disabled after {limit} consecutive failed deliveries; last: {outcome.error}"
        disabled = await session.exec(
            update(Subscription)
            .where(
                subscription,
                col(Subscription.status) == "active",
                col(Subscription.consecutive_failures) >= limit,
            )
            # A new version: an edit based on the active subscription must not undo this.
            .values(
                status="disabled",
                disabled_at=now,
                disabled_reason=reason[:MAX_REASON_LENGTH],
                version=col(Subscription.version) + 1,
                updated_at=now,
            )
        )
        if disabled.rowcount == 1:
            log.warning("webhook subscription %s disabled: %s", subscription_id, reason)
