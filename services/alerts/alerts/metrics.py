"""The alerts service's own Prometheus figures (served by the kit's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

ALERT_TRANSITIONS = Counter(
    "firesafe_alert_transitions_total",
    "Alerts raised, escalated and resolved by the service's own machinery",
    ["kind", "transition"],
)
WEBHOOK_ATTEMPTS = Counter(
    "firesafe_webhook_attempts_total",
    "Webhook delivery attempts by outcome",
    ["outcome"],
)
