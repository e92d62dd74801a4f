"""Embedded mode: the four services in this process, each with its own database.

Each service gets the gateway's shared settings (data dir, broker, topic prefix, identity…) so
one configuration drives the whole process; its database is `service_database_urls[name]`, or
what its own environment says (`<SERVICE>_DATABASE_URL`, else a SQLite file in the data dir).
"""

from __future__ import annotations

import importlib
from contextlib import AsyncExitStack
from typing import Any

from fastapi import FastAPI

from firesafe_kit.auth.jwt import TokenVerifier
from firesafe_kit.settings import KitSettings
from gateway.config import EMBEDDED_FACTORIES, EMBEDDED_SETTINGS, GatewaySettings

# Every kit setting but the ones that are each service's own.
_SHARED_FIELDS = sorted(set(KitSettings.model_fields) - {"database_url", "host", "port"})


def load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def embedded_settings(settings: GatewaySettings, service: str) -> KitSettings:
    values: dict[str, Any] = {name: getattr(settings, name) for name in _SHARED_FIELDS}
    if service in settings.service_database_urls:
        values["database_url"] = settings.service_database_urls[service]
    settings_class: type[KitSettings] = load(EMBEDDED_SETTINGS[service])
    return settings_class(**values)


async def start_embedded_services(
    settings: GatewaySettings, stack: AsyncExitStack
) -> dict[str, FastAPI]:
    """Build and start every service; `stack` stops them when the gateway stops."""
    apps: dict[str, FastAPI] = {}
    for service in settings.services:
        service_settings = embedded_settings(settings, service)
        app: FastAPI = load(EMBEDDED_FACTORIES[service])(service_settings)
        # One process, one trust: the services accept the internal tokens this gateway mints
        # (for API-key callers) with the gateway's settings, whatever the environment says.
        app.state.token_verifier = TokenVerifier(service_settings, internal=settings.internal_token)
        # ASGITransport does not run lifespans: start the service (migrations, relay,
        # consumers) here, and stop it when the gateway stops.
        await stack.enter_async_context(app.router.lifespan_context(app))
        apps[service] = app
    return apps
