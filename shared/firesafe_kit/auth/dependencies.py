"""FastAPI dependencies: the verified caller (`CurrentActor`) and role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from firesafe_kit.auth.actor import ROLES, Actor
from firesafe_kit.auth.jwt import TokenVerifier
from firesafe_kit.http.problems import Forbidden, Unauthorized


async def get_actor(request: Request) -> Actor:
    """The caller of `Authorization: Bearer <JWT>`, verified by `app.state.token_verifier`.

    An Actor already on `request.state.actor` is used as is: it was authenticated earlier in
    this request (for example from an API key by the gateway's own middleware).
    """
    known = getattr(request.state, "actor", None)
    if isinstance(known, Actor):
        return known
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(code="token_missing")
    verifier = getattr(request.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        # A wiring mistake, not the caller's: let it surface as a 500 with a clear log.
        raise RuntimeError("app.state.token_verifier is not set to a TokenVerifier")
    actor = await verifier.verify(token.strip())
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


def require_roles(*roles: str) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency passing callers with any of `roles`, else 403 `forbidden_role`.

    Use as `actor: Annotated[Actor, Depends(require_roles("fire_inspector"))]`, or in a
    route's `dependencies=[...]`. Unknown role names fail at import time, not per request.
    """
    unknown = sorted(set(roles) - ROLES)
    if unknown or not roles:
        raise ValueError(f"require_roles needs known roles, got {list(roles)}")

    async def check_roles(actor: CurrentActor) -> Actor:
        if not actor.has_any_role(*roles):
            raise Forbidden(code="forbidden_role")
        return actor

    return check_roles
