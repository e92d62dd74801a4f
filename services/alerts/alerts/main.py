"""Builds the alerts app: `uvicorn alerts.main:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alerts.config import AlertsSettings
from alerts.consumption import rules_consumer
from alerts.context import AlertsContext
from alerts.events.published import CATALOG, TOPIC
from alerts.routers import alerts as alerts_routes
from alerts.routers import figures as figures_routes
from alerts.routers import notices as notices_routes
from alerts.routers import policies as policies_routes
from alerts.scheduler import Scheduler
from alerts.webhooks import router as webhooks_routes
from alerts.webhooks.worker import DeliveryWorker
from firesafe_kit.app import create_service_app
from firesafe_kit.clock import Clock, SystemClock
from firesafe_kit.runtime import ServiceRuntime
from firesafe_kit.settings import KitSettings

SERVICE_DIR = Path(__file__).resolve().parent.parent


def create_app(settings: KitSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or AlertsSettings()
    if not isinstance(settings, AlertsSettings):
        raise TypeError("the alerts service needs AlertsSettings")
    runtime = ServiceRuntime(settings, service_dir=SERVICE_DIR, published_topic=TOPIC)
    context = AlertsContext(settings=settings, clock=clock or SystemClock(), outbox=runtime.outbox)
    runtime.consumers.append(rules_consumer(runtime, context))
    scheduler = Scheduler(runtime.db, context)
    worker = DeliveryWorker(runtime.db, context)
    runtime.add_loop("scheduler", scheduler.run)
    runtime.add_loop("webhooks", worker.run)
    app = create_service_app(
        runtime=runtime,
        routers=[
            figures_routes.router,  # before /alerts/{id}
            alerts_routes.router,
            policies_routes.router,
            notices_routes.router,
            webhooks_routes.router,
        ],
        title="Alerts",
        description="预警：规则、逐级上报、订阅推送、通知",
        catalog=CATALOG,
    )
    app.state.alerts = context
    app.state.scheduler = scheduler
    app.state.delivery_worker = worker
    return app
