"""The alerts service's tables. Importing this package registers every one of them on
`metadata` (the Alembic environment and the `alembic check` test rely on that)."""

from alerts.models import facts, notices, records, webhooks  # noqa: F401
from alerts.models.base import AlertsRecord, mapper_registry, metadata
from alerts.models.facts import Fact
from alerts.models.notices import Notice
from alerts.models.records import Alert, EscalationPolicy
from alerts.models.webhooks import Delivery, DeliveryAttempt, Subscription

__all__ = [
    "Alert",
    "AlertsRecord",
    "Delivery",
    "DeliveryAttempt",
    "EscalationPolicy",
    "Fact",
    "Notice",
    "Subscription",
    "mapper_registry",
    "metadata",
]
