"""Builds the registry app: `uvicorn registry.main:create_app --factory`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from firesafe_kit.app import create_service_app
from firesafe_kit.crud.router import crud_router
from firesafe_kit.runtime import ServiceRuntime
from firesafe_kit.settings import KitSettings
from registry.config import RegistrySettings
from registry.demo import load_demo_if_empty
from registry.events.published import CATALOG
from registry.imports.router import router as imports_router
from registry.resources.facilities import FACILITIES
from registry.resources.key_residents import KEY_RESIDENTS
from registry.resources.places import BUILDINGS, COMPOUNDS, PREMISES
from registry.resources.stations import STATIONS
from registry.resources.tree import COMMUNITIES, DISTRICTS, GRIDS, STREETS
from registry.routers import audit, figures, station_members

SERVICE_DIR = Path(__file__).resolve().parent.parent
PUBLISHED_TOPIC = "firesafe.registry.v1"
RESOURCES = [
    DISTRICTS,
    STREETS,
    COMMUNITIES,
    GRIDS,
    COMPOUNDS,
    BUILDINGS,
    PREMISES,
    STATIONS,
    FACILITIES,
    KEY_RESIDENTS,
]


def create_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    runtime = ServiceRuntime(settings, service_dir=SERVICE_DIR, published_topic=PUBLISHED_TOPIC)
    routers = [
        station_members.router,
        *(crud_router(spec) for spec in RESOURCES),
        audit.router,
        imports_router,
        figures.router,
    ]
    return create_service_app(
        runtime=runtime,
        routers=routers,
        title="Registry",
        description="登记：行政区划树、小区、楼栋、风险场所、微型消防站、消防设施、重点人群",
        non_json_prefixes=("/imports",),
        on_started=[load_demo_if_empty],
        catalog=CATALOG,
    )
