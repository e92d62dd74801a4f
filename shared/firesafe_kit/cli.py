"""`python -m <service>`: serve (migrating first when configured) or `migrate` only."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from firesafe_kit.migrations import upgrade_to_head
from firesafe_kit.observability.logging import configure_logging
from firesafe_kit.settings import KitSettings


def run_service_cli(
    *,
    settings_factory: Callable[[], KitSettings],
    app_factory: Callable[[KitSettings], FastAPI],
    service_dir: Path | None,
    argv: list[str] | None = None,
) -> None:
    settings = settings_factory()
    parser = argparse.ArgumentParser(prog=f"python -m {settings.service_name}")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    configure_logging(level=settings.log_level, json_output=settings.log_json)
    if args.command == "migrate":
        if service_dir is None:
            parser.error(f"{settings.service_name} has no database to migrate")
        upgrade_to_head(service_dir, settings.database_url)
        return
    uvicorn.run(
        app_factory(settings),
        host=args.host,
        port=args.port,
        log_config=None,  # our JSON logging, not uvicorn's
        timeout_graceful_shutdown=30,
    )
