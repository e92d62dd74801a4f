"""Every rule the alerts service applies. A new rule is a new entry here (and, when it reads a
new kind of entity, a new source in `facts/sources.py`), never new machinery."""

from __future__ import annotations

from alerts.rules import registry_rules
from alerts.rules.base import Rule

RULES: tuple[Rule, ...] = (
    Rule(
        kind="responsibility_gap",
        domain_rule=1,
        severity="warning",
        description="A community without a fire-safety responsible person, or with other "
        "than 1–2 fire-safety managers (消防安全责任人、消防管理人员).",
        reads=frozenset({"community"}),
        check=registry_rules.responsibility_gap,
    ),
    Rule(
        kind="missing_fire_pact",
        domain_rule=2,
        severity="warning",
        description="A community without an adopted residents' fire-prevention pact "
        "(居民防火公约).",
        reads=frozenset({"community"}),
        check=registry_rules.missing_fire_pact,
    ),
    Rule(
        kind="station_coverage_gap",
        domain_rule=3,
        severity="warning",
        description="A compound with property service that no micro fire station covers "
        "(微型消防站覆盖率100%).",
        reads=frozenset({"compound", "station"}),
        check=registry_rules.station_coverage_gap,
    ),
    Rule(
        kind="key_resident_unprotected",
        domain_rule=6,
        severity="critical",
        description="A key resident (elderly living alone, left-behind child, disabled person) "
        "whose home has no stand-alone smoke alarm (独立式感烟火灾探测报警器).",
        reads=frozenset({"key_resident"}),
        check=registry_rules.key_resident_unprotected,
    ),
)
RULE_KINDS = frozenset(rule.kind for rule in RULES)
