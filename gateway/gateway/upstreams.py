"""One shared HTTP client per upstream: an in-process ASGI app (embedded) or a URL."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from gateway.config import EMBEDDED_FACTORIES, GatewaySettings


@dataclass
class Upstream:
    name: str
    client: httpx.AsyncClient


def load_factory(target: str) -> Callable[[], FastAPI]:
    module_name, _, attribute = target.partition(":")
    factory: Callable[[], FastAPI] = getattr(importlib.import_module(module_name), attribute)
    return factory


async def open_upstreams(settings: GatewaySettings, stack: AsyncExitStack) -> dict[str, Upstream]:
    """Start what the gateway talks to; everything opened is closed by `stack`."""
    timeout = httpx.Timeout(
        connect=settings.upstream_connect_timeout,
        read=settings.upstream_read_timeout,
        write=settings.upstream_read_timeout,
        pool=settings.upstream_pool_timeout,
    )
    upstreams: dict[str, Upstream] = {}
    services = sorted(set(settings.routes.values()))
    for name in services:
        if settings.embedded:
            app = load_factory(EMBEDDED_FACTORIES[name])()
            # ASGITransport does not run lifespans: start the service (migrations, relay,
            # consumers) here, and stop it when the gateway stops.
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=app)
            base_url = f"http://{name}.embedded"
        else:
            transport = httpx.AsyncHTTPTransport(
                retries=1,  # connection-level only: nothing was sent, so any method is safe
                limits=httpx.Limits(
                    max_connections=settings.upstream_max_connections,
                    max_keepalive_connections=settings.upstream_max_connections,
                ),
            )
            base_url = settings.upstreams[name]
        client = httpx.AsyncClient(transport=transport, base_url=base_url, timeout=timeout)
        await stack.enter_async_context(client)
        upstreams[name] = Upstream(name=name, client=client)
    return upstreams
