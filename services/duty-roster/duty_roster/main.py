"""Builds the duty-roster app: `uvicorn duty_roster.main:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from duty_roster.config import DutyRosterSettings
from firesafe_kit.app import create_service_app
from firesafe_kit.jurisdiction_feed import tree_feed_consumer
from firesafe_kit.runtime import ServiceRuntime
from firesafe_kit.settings import KitSettings

SERVICE_DIR = Path(__file__).resolve().parent.parent
PUBLISHED_TOPIC = "firesafe.duty-roster.v1"


def create_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings or DutyRosterSettings()
    runtime = ServiceRuntime(
        settings,
        service_dir=SERVICE_DIR,
        published_topic=PUBLISHED_TOPIC,
        consumers=[tree_feed_consumer()],
    )
    return create_service_app(
        runtime=runtime,
        title="DutyRoster",
        description="值守：微型消防站排班、签到、夜间巡查、演练与宣传",
    )
