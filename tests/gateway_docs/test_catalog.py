"""The kit's event catalog: misdeclarations fail at start, not in a consumer later."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from firesafe_kit.app import create_service_app
from firesafe_kit.events.catalog import Catalog, EventSpec
from firesafe_kit.runtime import ServiceRuntime
from firesafe_kit.settings import KitSettings
from registry.config import RegistrySettings

ROOT = Path(__file__).resolve().parents[2]


class Thing(BaseModel):
    id: str


def test_a_type_declared_twice_or_outside_the_service_is_refused() -> None:
    twice = [EventSpec("firesafe.demo.thing.created", Thing)] * 2
    with pytest.raises(ValueError, match="declared twice"):
        Catalog(service="demo", topic="firesafe.demo.v1", events=twice)
    with pytest.raises(ValueError, match=r"must start with firesafe\.demo\."):
        Catalog(
            service="demo",
            topic="firesafe.demo.v1",
            events=[EventSpec("firesafe.other.thing.created", Thing)],
        )


def test_a_catalog_for_another_service_or_topic_is_refused(tmp_path: Path) -> None:
    settings: KitSettings = RegistrySettings(data_dir=tmp_path, topic_prefix="t.")
    runtime = ServiceRuntime(
        settings,
        service_dir=ROOT / "services" / "registry",
        published_topic="firesafe.registry.v1",
    )
    for service, topic in [("registry", "firesafe.alerts.v1"), ("alerts", "firesafe.registry.v1")]:
        with pytest.raises(ValueError, match="not this service's"):
            create_service_app(
                runtime=runtime, title="x", catalog=Catalog(service=service, topic=topic)
            )
    # The topic is declared unprefixed; the deployment's prefix is the runtime's business.
    create_service_app(
        runtime=runtime,
        title="x",
        catalog=Catalog(service="registry", topic="firesafe.registry.v1"),
    )
