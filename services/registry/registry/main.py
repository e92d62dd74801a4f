"""Builds the registry app: `uvicorn registry.main:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from firesafe_kit.app import create_service_app
from firesafe_kit.runtime import ServiceRuntime
from firesafe_kit.settings import KitSettings

from registry.config import RegistrySettings

SERVICE_DIR = Path(__file__).resolve().parent.parent
PUBLISHED_TOPIC = "firesafe.registry.v1"


def create_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    runtime = ServiceRuntime(
        settings,
        service_dir=SERVICE_DIR,
        published_topic=PUBLISHED_TOPIC,
    )
    return create_service_app(
        runtime=runtime,
        title="Registry",
        description="登记：行政区划树、小区、楼栋、微型消防站、消防设施、重点人群",
    )
