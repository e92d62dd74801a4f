"""What a rule is: a named check over one community's facts, with the domain rule it carries.

A rule's `check` is pure: given the community's live facts of the kinds it reads, it returns
every subject that breaks the rule now. The engine turns the difference with the open alerts
into raised, repeated and resolved alerts, so a rule never touches alerts itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from alerts.schemas.alerts import Severity


class FactLike(Protocol):
    """What a rule reads of a fact (the table row, or a plain object in unit tests)."""

    @property
    def id(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...


FactView = Mapping[str, Sequence[FactLike]]  # fact kind -> live facts of one community


@dataclass(frozen=True)
class Finding:
    subject_type: str
    subject_id: str
    title: str  # zh-CN: what the people on the ground read
    detail: str = ""


@dataclass(frozen=True)
class Rule:
    kind: str  # the alert kind, e.g. "missing_fire_pact"
    domain_rule: int  # the rule of DOMAIN.md it enforces
    severity: Severity
    description: str
    reads: frozenset[str]  # fact kinds: a change to any of them re-checks the community
    check: Callable[[FactView], list[Finding]]

    def dedup_key(self, finding: Finding) -> str:
        return f"{self.kind}:{finding.subject_type}:{finding.subject_id}"
