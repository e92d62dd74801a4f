"""The one consumer group of the alerts service: every service's topic, the tree feed and the
rules on it. Types with no handler (another service's events we have no rule for, services
that do not exist yet) are counted and skipped by the runner, never dead-lettered."""

from __future__ import annotations

from alerts.context import AlertsContext
from alerts.facts.sources import SOURCES
from alerts.rules.catalog import RULES
from alerts.rules.engine import RuleEngine
from firesafe_kit.events.consumer import ConsumerRunner
from firesafe_kit.events.handlers import merge_handlers
from firesafe_kit.jurisdiction_feed import tree_feed_handlers
from firesafe_kit.runtime import ConsumerSpec, ServiceRuntime

GROUP = "rules"
TOPICS = (
    "firesafe.registry.v1",
    "firesafe.inspection.v1",
    "firesafe.duty-roster.v1",
    "firesafe.alerts.v1",
)


def rules_consumer(
    runtime: ServiceRuntime, context: AlertsContext, *, name: str = GROUP
) -> ConsumerRunner:
    """`name` other than the default makes a second group (a full replay from the start)."""
    engine = RuleEngine(context, RULES, SOURCES)
    spec = ConsumerSpec(
        name=name,
        topics=TOPICS,
        handlers=merge_handlers(tree_feed_handlers(), engine.handlers()),
    )
    return runtime.consumer_runner(spec)
