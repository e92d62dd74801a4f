"""Pure ASGI middleware in front of every `/api/v1/<segment>` the gateway serves (routed or
its own), the public API documents excepted: no identity → 401, over the limit → 429, both
problem+json. Admitted requests carry `state.actor` (read by the kit's CurrentActor) and their
answers carry the RateLimit headers.

An API-key caller's request goes on as if it had come with `Authorization: Bearer <internal
token>` and without the key: every route behind the door (the proxy, the scorecards' fan-out)
then passes the caller's identity on to the services the same way, and the key itself never
leaves the gateway."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firesafe_kit.http.problems import ProblemError, problem_response_for_scope
from gateway.config import API_PREFIX, PUBLIC_PATHS
from gateway.door.door import Door
from gateway.door.identity import API_KEY_HEADER
from gateway.door.problems import DoorNotReady
from gateway.metrics import AUTH_REFUSED, RATE_LIMITED

_SEGMENT_START = len(API_PREFIX) + 1  # after "/api/v1/"


def segment_of(path: str) -> str | None:
    """`communities` for /api/v1/communities/…; None outside /api/v1/."""
    if not path.startswith(f"{API_PREFIX}/"):
        return None
    return path[_SEGMENT_START:].split("/", 1)[0]


class DoorMiddleware:
    """`get_door` is called per request: the door is built in the lifespan, after the
    middleware stack. Segments not in `protected_segments` serve nothing: they are left to
    the app, which answers 404 whoever asks."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        get_door: Callable[[], Door | None],
        protected_segments: frozenset[str],
    ) -> None:
        self.app = app
        self.get_door = get_door
        self.protected_segments = protected_segments

    def _needs_identity(self, path: str) -> bool:
        return segment_of(path) in self.protected_segments and path not in PUBLIC_PATHS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._needs_identity(scope["path"]):
            await self.app(scope, receive, send)
            return
        door = self.get_door()
        try:
            if door is None:
                raise DoorNotReady(retry_after=1)
            admission = await door.admit(Headers(scope=scope))
        except ProblemError as problem:
            _count_refusal(problem)
            await problem_response_for_scope(problem, scope)(scope, receive, send)
            return
        scope.setdefault("state", {})["actor"] = admission.caller.actor
        if admission.caller.actor.via == "api_key":
            scope["headers"] = _with_authorization(scope["headers"], admission.caller.authorization)
        rate_headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in admission.rate.headers().items()
        ]

        async def send_with_rate_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *rate_headers]
            await send(message)

        await self.app(scope, receive, send_with_rate_headers)


def _with_authorization(
    headers: list[tuple[bytes, bytes]], authorization: str
) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() not in (b"authorization", API_KEY_HEADER)]
    return [*kept, (b"authorization", authorization.encode("latin-1"))]


def _count_refusal(problem: ProblemError) -> None:
    if problem.status == 401:
        AUTH_REFUSED.labels(problem.code).inc()
    elif problem.status == 429:
        RATE_LIMITED.inc()
