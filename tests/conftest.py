"""Shared fixtures; see tests/support/backends.py for the backend switch."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support import backends as backend_support

# Services under test start empty; the demo-data tests turn it back on for themselves.
os.environ.setdefault("FIRESAFE_DEMO_DATA", "0")


def pytest_configure(config: pytest.Config) -> None:
    config.firesafe_backend = backend_support.selected()  # type: ignore[attr-defined]
    if config.firesafe_backend == "real":  # type: ignore[attr-defined]
        try:
            asyncio.run(backend_support.check_reachable())
        except RuntimeError as exc:  # fail the run, never skip it
            pytest.exit(f"real backends selected but unreachable: {exc}", returncode=3)


def pytest_report_header(config: pytest.Config) -> str:
    return f"firesafe backends: {config.firesafe_backend}"  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need a real broker (stopping Kafka, consumer groups) run with the real
    backends only; the embedded run deselects them rather than skipping (CI runs both)."""
    if config.firesafe_backend == "real":  # type: ignore[attr-defined]
        return
    real_only = [item for item in items if item.get_closest_marker("real_only")]
    if real_only:
        config.hook.pytest_deselected(items=real_only)
        items[:] = [item for item in items if not item.get_closest_marker("real_only")]


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    yield tmp_path_factory.mktemp("firesafe")


@pytest.fixture(scope="session")
async def backends(
    request: pytest.FixtureRequest, tmp_root: object
) -> AsyncIterator[backend_support.Backends]:
    chosen = backend_support.Backends(kind=request.config.firesafe_backend, tmp=tmp_root)  # type: ignore[attr-defined,arg-type]
    yield chosen
    await chosen.drop_databases()


@pytest.fixture
def topic_prefix() -> str:
    """Each test gets its own topics and consumer groups on a shared broker."""
    return f"t{uuid.uuid4().hex[:10]}."
