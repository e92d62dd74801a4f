"""From events to alerts: keep the fact, re-check the community's rules that read it, and
reconcile the findings with the open alerts (raise, count a repeat, resolve what is gone).

Idempotent by construction: the runner's inbox drops an event seen before, an older state of an
entity never replaces a newer one (`record_fact`), and one unresolved alert per dedup key is a
unique index. Replaying a topic from the start therefore raises nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from alerts import lifecycle
from alerts.context import AlertsContext
from alerts.facts.sources import FactSource
from alerts.facts.store import Recorded, live_facts, record_fact
from alerts.metrics import ALERT_TRANSITIONS
from alerts.models import Alert, Fact
from alerts.rules.base import FactView, Rule
from firesafe_kit.events.consumer import Handler
from firesafe_kit.events.envelope import CloudEvent


class RuleEngine:
    def __init__(
        self, context: AlertsContext, rules: Sequence[Rule], sources: Sequence[FactSource]
    ) -> None:
        self.context = context
        self.rules = tuple(rules)
        self._sources = {
            event_type: source for source in sources for event_type in source.event_types
        }
        kinds = {source.kind for source in sources}
        unread = [rule.kind for rule in self.rules if not rule.reads <= kinds]
        if unread:  # a rule over facts nobody feeds would never fire: fail at start-up
            raise ValueError(f"rules read fact kinds no source provides: {unread}")

    def handlers(self) -> dict[str, Handler]:
        return {event_type: self.handle for event_type in self._sources}

    async def handle(self, session: AsyncSession, event: CloudEvent) -> None:
        source = self._sources[event.type]
        fact = await record_fact(session, source, event, self.context.clock.now())
        if fact is None:
            return  # older than what we know: nothing to re-check
        rules = [rule for rule in self.rules if fact.kind in rule.reads]
        if not rules:
            return
        # One read of the community's facts (its own included) and one of its open alerts,
        # whatever the number of rules to re-check.
        kinds = {"community"}.union(*(rule.reads for rule in rules))
        view = await live_facts(session, fact.community_id, kinds)
        community = next(iter(view["community"]), None) or await session.get(
            Fact, ("community", fact.community_id), populate_existing=True
        )
        open_alerts = await lifecycle.open_alerts_by_kind(
            session, fact.community_id, [rule.kind for rule in rules]
        )
        for rule in rules:
            await self._reconcile(
                session, rule, view, fact, community, open_alerts.get(rule.kind, []), event.id
            )

    async def _reconcile(
        self,
        session: AsyncSession,
        rule: Rule,
        view: FactView,
        changed: Recorded,
        community: Fact | None,
        open_of_rule: list[Alert],
        event_id: str,
    ) -> None:
        findings = {rule.dedup_key(finding): finding for finding in rule.check(view)}
        open_alerts = {alert.dedup_key: alert for alert in open_of_rule}
        for key, alert in open_alerts.items():
            if key not in findings:
                await lifecycle.resolve(session, self.context, alert, by=None)
                ALERT_TRANSITIONS.labels(rule.kind, "resolved").inc()
        place = community.data if community is not None else {}
        for key, finding in findings.items():
            known = open_alerts.get(key)
            if known is not None:
                if finding.subject_id == changed.id:  # the same fact reported again
                    await lifecycle.repeat(session, self.context, known, event_id)
                continue
            await lifecycle.raise_alert(
                session,
                self.context,
                event_id=event_id,
                kind=rule.kind,
                severity=rule.severity,
                dedup_key=key,
                community_id=changed.community_id,
                street_id=place.get("street_id"),
                district_id=place.get("district_id"),
                subject_type=finding.subject_type,
                subject_id=finding.subject_id,
                title=finding.title,
                detail=finding.detail,
            )
            ALERT_TRANSITIONS.labels(rule.kind, "raised").inc()
