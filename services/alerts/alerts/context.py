"""What the alerts service's parts share: settings, the clock, where events go.

The clock is injectable so that escalation and scheduled notices are tested by moving time,
not by waiting for it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from alerts.config import AlertsSettings
from firesafe_kit.clock import Clock
from firesafe_kit.events.outbox import OutboxWriter


@dataclass
class AlertsContext:
    settings: AlertsSettings
    clock: Clock
    outbox: OutboxWriter


def get_context(request: Request) -> AlertsContext:
    context: AlertsContext = request.app.state.alerts
    return context
