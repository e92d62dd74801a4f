"""The life of an alert: open → acknowledged → resolved, and its climb up the tree.

Every transition writes the row (its version in the UPDATE's WHERE, so two writers never both
win) and its event in the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts.context import AlertsContext
from alerts.models import Alert
from alerts.publishing import publish
from alerts.schemas.alerts import LEVELS, AlertEvent
from firesafe_kit.crud.records import update_versioned
from firesafe_kit.http.problems import Conflict

SOURCE_EVENTS_KEPT = 20  # the newest event ids an alert remembers


class TransitionNotAllowed(Conflict):
    code = "alert_state_conflict"


def event_data(alert: Alert, **extra: Any) -> dict[str, Any]:
    return {**AlertEvent.model_validate(alert).model_dump(mode="json"), **extra}


async def _announce(
    session: AsyncSession, context: AlertsContext, alert: Alert, verb: str, **extra: Any
) -> None:
    await publish(
        session,
        context.outbox,
        context.clock,
        entity_verb=f"alert.{verb}",
        subject=alert.id,
        data=event_data(alert, **extra),
        community_id=alert.community_id,
        street_id=alert.street_id,
        district_id=alert.district_id,
    )


async def open_alert(session: AsyncSession, dedup_key: str) -> Alert | None:
    statement = select(Alert).where(Alert.open_key == dedup_key)
    return (await session.exec(statement)).first()


async def open_alerts_by_kind(
    session: AsyncSession, community_id: str, kinds: list[str]
) -> dict[str, list[Alert]]:
    """The community's unresolved alerts of these kinds, by kind."""
    statement = select(Alert).where(
        Alert.community_id == community_id,
        col(Alert.kind).in_(kinds),
        col(Alert.open_key).is_not(None),
    )
    by_kind: dict[str, list[Alert]] = {}
    for alert in await session.exec(statement):
        by_kind.setdefault(alert.kind, []).append(alert)
    return by_kind


async def raise_alert(
    session: AsyncSession, context: AlertsContext, *, event_id: str | None, **fields: Any
) -> Alert:
    now = context.clock.now()
    alert = Alert(
        **fields,
        open_key=fields["dedup_key"],
        source_event_ids=[event_id] if event_id else [],
        level_since=now,
        raised_at=now,
        last_seen_at=now,
    )
    session.add(alert)
    await session.flush()
    await _announce(session, context, alert, "raised")
    return alert


async def repeat(
    session: AsyncSession, context: AlertsContext, alert: Alert, event_id: str
) -> Alert:
    """The fact was reported again: count it, remember the event; no new alert, no event."""
    if event_id in alert.source_event_ids:
        return alert
    changes = {
        "count": alert.count + 1,
        "last_seen_at": context.clock.now(),
        "source_event_ids": [*alert.source_event_ids, event_id][-SOURCE_EVENTS_KEPT:],
    }
    return await update_versioned(session, alert, changes, if_match=None)


def _note(notes: list[dict[str, Any]], context: AlertsContext, by: str, text: str | None) -> Any:
    if not text:
        return notes
    return [*notes, {"at": context.clock.now().isoformat(), "by": by, "text": text}]


async def acknowledge(
    session: AsyncSession,
    context: AlertsContext,
    alert: Alert,
    *,
    by: str,
    assignee: str | None,
    note: str | None,
    if_match: str | None = None,
) -> Alert:
    if alert.status != "open":
        raise TransitionNotAllowed(detail=f"an alert that is {alert.status} cannot be acknowledged")
    changes = {
        "status": "acknowledged",
        "acknowledged_at": context.clock.now(),
        "acknowledged_by": by,
        "assignee": assignee or by,
        "notes": _note(alert.notes, context, by, note),
    }
    alert = await update_versioned(session, alert, changes, if_match=if_match)
    await _announce(session, context, alert, "acknowledged")
    return alert


async def resolve(
    session: AsyncSession,
    context: AlertsContext,
    alert: Alert,
    *,
    by: str | None,
    note: str | None = None,
    if_match: str | None = None,
) -> Alert:
    """By hand (`by` set) or automatically (the fact is gone: `by` is None)."""
    if alert.status == "resolved":
        raise TransitionNotAllowed(detail="the alert is already resolved")
    changes = {
        "status": "resolved",
        "open_key": None,
        "resolved_at": context.clock.now(),
        "resolved_by": by,
        "resolution": "manual" if by else "auto",
        "notes": _note(alert.notes, context, by or "system", note),
    }
    alert = await update_versioned(session, alert, changes, if_match=if_match)
    await _announce(session, context, alert, "resolved")
    return alert


def next_level(level: str) -> str | None:
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


async def escalate(session: AsyncSession, context: AlertsContext, alert: Alert) -> Alert | None:
    """One level up; None if it is already at the top or someone changed it meanwhile."""
    target = next_level(alert.escalation_level)
    if target is None or alert.status != "open":
        return None
    from_level = alert.escalation_level
    changes = {"escalation_level": target, "level_since": context.clock.now()}
    alert = await update_versioned(session, alert, changes, if_match=None)
    await _announce(session, context, alert, "escalated", from_level=from_level)
    return alert
