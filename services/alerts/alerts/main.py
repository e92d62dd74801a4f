"""Builds the alerts app: `uvicorn alerts.main:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alerts.config import AlertsSettings
from firesafe_kit.app import create_service_app
from firesafe_kit.jurisdiction_feed import tree_feed_consumer
from firesafe_kit.runtime import ServiceRuntime
from firesafe_kit.settings import KitSettings

SERVICE_DIR = Path(__file__).resolve().parent.parent
PUBLISHED_TOPIC = "firesafe.alerts.v1"


def create_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings or AlertsSettings()
    runtime = ServiceRuntime(
        settings,
        service_dir=SERVICE_DIR,
        published_topic=PUBLISHED_TOPIC,
        consumers=[tree_feed_consumer()],
    )
    return create_service_app(
        runtime=runtime,
        title="Alerts",
        description="预警：规则、逐级上报、订阅推送、通知",
    )
