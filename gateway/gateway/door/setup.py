"""Builds the door at start-up: token verification, API key lookups, internal tokens and the
rate limiter, each closed with the gateway."""

from __future__ import annotations

from contextlib import AsyncExitStack

from firesafe_kit.auth.jwt import TokenVerifier
from firesafe_kit.db import Database
from gateway.api_keys.lookup import ApiKeyLookup
from gateway.config import GatewaySettings
from gateway.door.door import Door
from gateway.door.identity import Authenticator
from gateway.door.internal_tokens import InternalTokens
from gateway.door.rate_limit import RateLimiter


async def open_door(settings: GatewaySettings, database: Database, stack: AsyncExitStack) -> Door:
    verifier = TokenVerifier(settings, internal=settings.internal_token, accept_internal=False)
    stack.push_async_callback(verifier.aclose)
    keys = ApiKeyLookup(
        database,
        cache_seconds=settings.api_key_cache_seconds,
        touch_seconds=settings.api_key_touch_seconds,
    )
    stack.push_async_callback(keys.aclose)  # before the database closes (stack order)
    authenticator = Authenticator(
        verifier=verifier,
        keys=keys,
        internal_tokens=InternalTokens(settings),
        default_per_minute=settings.rate_limit_per_minute,
        token_cache_seconds=settings.token_cache_seconds,
    )
    limiter = RateLimiter(settings.rate_limit_storage_uri, settings.rate_limit_strategy)
    return Door(authenticator=authenticator, limiter=limiter)
