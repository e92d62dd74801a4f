"""Time-driven work: alerts that waited too long climb, scheduled notices go out.

Safe with several replicas: each due row is claimed with `FOR UPDATE SKIP LOCKED` (PostgreSQL;
SQLite serialises writers anyway) and changed with its version in the WHERE, so two replicas
ticking at once escalate an alert once. `tick()` is public so tests drive it with a
`ManualClock` instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from alerts import lifecycle
from alerts.context import AlertsContext
from alerts.metrics import ALERT_TRANSITIONS
from alerts.models import Alert, EscalationPolicy, Notice
from alerts.notices import publish_notice
from firesafe_kit.db import Database
from firesafe_kit.http.problems import PreconditionFailed
from firesafe_kit.runtime import pause

log = logging.getLogger(__name__)
BATCH = 100
T = TypeVar("T")


def _claimed(db: Database, statement: SelectOfScalar[T]) -> SelectOfScalar[T]:
    """Rows due now, skipping those another replica holds (SQLite has one writer anyway)."""
    return statement.with_for_update(skip_locked=True) if db.dialect == "postgresql" else statement


class Scheduler:
    def __init__(self, db: Database, context: AlertsContext) -> None:
        self.db = db
        self.context = context

    async def tick(self) -> dict[str, int]:
        """One pass: returns how many alerts escalated and notices went out."""
        return {"escalated": await self.escalate_due(), "published": await self.publish_due()}

    async def escalate_due(self) -> int:
        total = 0
        async with self.db.session() as session, session.begin():
            policies = list(await session.exec(select(EscalationPolicy)))
        for policy in policies:
            for level, minutes in (
                ("community", policy.community_minutes),
                ("street", policy.street_minutes),
            ):
                if minutes is not None:
                    total += await self._escalate(policy.severity, level, minutes)
        return total

    async def _escalate(self, severity: str, level: str, minutes: int) -> int:
        deadline = self.context.clock.now() - timedelta(minutes=minutes)
        due = (
            select(Alert)
            .where(
                Alert.status == "open",
                Alert.severity == severity,
                Alert.escalation_level == level,
                col(Alert.level_since) <= deadline,
            )
            .order_by(col(Alert.level_since))
        )
        return await self._drain(due, self._escalate_one)

    async def _escalate_one(self, session: AsyncSession, alert: Alert) -> bool:
        escalated = await lifecycle.escalate(session, self.context, alert)
        if escalated is not None:
            ALERT_TRANSITIONS.labels(alert.kind, "escalated").inc()
        return escalated is not None

    async def publish_due(self) -> int:
        due = (
            select(Notice)
            .where(Notice.status == "scheduled", col(Notice.publish_at) <= self.context.clock.now())
            .order_by(col(Notice.publish_at))
        )
        return await self._drain(due, self._publish_one)

    async def _publish_one(self, session: AsyncSession, notice: Notice) -> bool:
        await publish_notice(session, self.context, notice)
        return True

    async def _drain(
        self, due: SelectOfScalar[T], act: Callable[[AsyncSession, T], Awaitable[bool]]
    ) -> int:
        """Claim due rows a batch at a time and `act` on each, each in a savepoint: a row
        another replica or a user changed meanwhile is skipped, not the whole batch."""
        total = 0
        while True:
            async with self.db.session() as session, session.begin():
                rows = list(await session.exec(_claimed(self.db, due.limit(BATCH))))
                for row in rows:
                    try:
                        async with session.begin_nested():
                            total += await act(session, row)
                    except PreconditionFailed:  # its version moved: someone got there first
                        continue
            if len(rows) < BATCH:
                return total

    async def run(self, stop: asyncio.Event) -> None:
        interval = self.context.settings.scheduler_interval_seconds
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # a database outage must not end the loop
                log.exception("scheduler tick failed; trying again next time")
            await pause(stop, interval)
