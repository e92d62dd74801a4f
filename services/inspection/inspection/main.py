"""Builds the inspection app: `uvicorn inspection.main:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from firesafe_kit.app import create_service_app
from firesafe_kit.jurisdiction_feed import tree_feed_consumer
from firesafe_kit.runtime import ServiceRuntime
from firesafe_kit.settings import KitSettings
from inspection.config import InspectionSettings

SERVICE_DIR = Path(__file__).resolve().parent.parent
PUBLISHED_TOPIC = "firesafe.inspection.v1"


def create_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings or InspectionSettings()
    runtime = ServiceRuntime(
        settings,
        service_dir=SERVICE_DIR,
        published_topic=PUBLISHED_TOPIC,
        consumers=[tree_feed_consumer()],
    )
    return create_service_app(
        runtime=runtime,
        title="Inspection",
        description="检查：隐患排查、整改、设施维护与检测",
    )
