"""One shared HTTP client per upstream, an in-process ASGI app (embedded) or a URL, behind
one code path: circuit breaker, retries of idempotent requests whose connection failed, a
deadline, metrics, and upstream trouble turned into 502/503/504 problems."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from firesafe_kit.http.problems import BadRequest, ProblemError
from gateway.breaker import CircuitBreaker, CircuitOpen
from gateway.config import GatewaySettings
from gateway.embedded import start_embedded_services
from gateway.metrics import CIRCUIT_STATE, status_class, upstream_latency, upstream_requests
from gateway.upstream_errors import (
    UpstreamBadResponse,
    UpstreamCircuitOpen,
    UpstreamTimeout,
    UpstreamUnavailable,
    upstream_problem,
)

log = logging.getLogger(__name__)

# RFC 9110 idempotent methods: repeating one has the effect of sending it once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# The connection failed or dropped: worth another try, but only for an idempotent request,
# since a dropped connection may have carried a request the service already processed.
_CONNECTION_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)
# Well below uvicorn's 5 s keep-alive: the service must not close a connection we are about to
# reuse, even when a busy event loop notices the idle time late.
KEEPALIVE_EXPIRY_SECONDS = 2.0

RawHeaders = Sequence[tuple[bytes, bytes]]


def no_cookies() -> httpx.Cookies:
    """A jar that keeps nothing: a shared client must never send one caller's cookies on
    behalf of another."""
    return httpx.Cookies(CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])))


@dataclass(frozen=True)
class UpstreamReply:
    status: int
    headers: RawHeaders  # as the upstream sent them, hop-by-hop ones included
    body: bytes  # raw bytes: still encoded as the upstream's Content-Encoding says


class Upstream:
    """`client` is the shared client (other gateway modules call it directly: readiness, the
    documents, the scorecards' reads); `send` is the guarded path every proxied request takes,
    straight to the client's transport: a proxy follows no redirects, runs no auth flow and
    keeps no cookies, so the client's machinery for those is skipped."""

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        *,
        transport: httpx.AsyncBaseTransport,
        breaker: CircuitBreaker,
        retries: int,
        retry_backoff_seconds: float,
        deadline_seconds: float,
    ) -> None:
        self.name = name
        self.client = client
        self.transport = transport
        self.breaker = breaker
        self.retries = retries
        self.retry_backoff_seconds = retry_backoff_seconds
        self.deadline_seconds = deadline_seconds
        # What client.build_request would work out per request (URL joined and parsed three
        # times), done once: requests are then built with a single parse of their URL.
        self._origin = str(client.base_url).rstrip("/")
        self._extensions = {"timeout": client.timeout.as_dict()}
        self._circuit_state = CIRCUIT_STATE.labels(name)
        self._circuit_state.set(int(breaker.state))

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: RawHeaders,
        content: bytes,
        segment: str,
    ) -> UpstreamReply:
        """The upstream's answer, whatever its status; a 502/503/504 problem when there is none.
        `url` is the path and query, percent-encoded, appended to the upstream's base URL."""
        try:
            request = httpx.Request(
                method,
                self._origin + url,
                headers=headers,
                content=content,
                extensions=self._extensions,
            )
        except (httpx.InvalidURL, ValueError) as exc:  # nothing a service could be asked
            raise BadRequest(str(exc)[:200], code="invalid_request_target") from exc
        try:
            self.breaker.acquire()
        except CircuitOpen as exc:
            self._count(segment, method, "circuit_open")
            raise upstream_problem(
                UpstreamCircuitOpen, self.name, retry_after=exc.retry_after
            ) from None
        started = time.perf_counter()
        try:
            reply = await self._send_with_retries(request, retry=method in IDEMPOTENT_METHODS)
        except asyncio.CancelledError:
            self.breaker.release()
            raise
        except Exception as exc:
            problem = self._problem_for(exc)
            self.breaker.record_failure()
            self._observe(segment, method, started, problem.code.removeprefix("upstream_"))
            log.warning(
                "upstream call failed",
                extra={"upstream": self.name, "method": method, "error": repr(exc)[:300]},
            )
            raise problem from exc
        self.breaker.record_success()
        self._observe(segment, method, started, status_class(reply.status))
        return reply

    async def _send_with_retries(self, request: httpx.Request, *, retry: bool) -> UpstreamReply:
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(attempts):
            try:
                return await self._attempt(request)
            except _CONNECTION_ERRORS:
                if attempt + 1 == attempts:
                    raise
            await asyncio.sleep(self.retry_backoff_seconds * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _attempt(self, request: httpx.Request) -> UpstreamReply:
        # httpx enforces its timeouts on sockets only; the deadline also bounds in-process
        # (ASGI) upstreams and a body that trickles in under the read timeout.
        async with asyncio.timeout(self.deadline_seconds):
            response = await self.transport.handle_async_request(request)
            try:
                if response.is_stream_consumed:  # built from bytes already (a mock transport)
                    body = response.content
                else:  # raw: still in the upstream's Content-Encoding, passed through as is
                    body = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
        return UpstreamReply(response.status_code, response.headers.raw, body)

    def _problem_for(self, exc: Exception) -> ProblemError:
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ConnectError):
            return upstream_problem(UpstreamUnavailable, self.name)
        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            return upstream_problem(UpstreamTimeout, self.name)
        return upstream_problem(UpstreamBadResponse, self.name)

    def _observe(self, segment: str, method: str, started: float, outcome: str) -> None:
        upstream_latency(self.name, segment, method).observe(time.perf_counter() - started)
        self._count(segment, method, outcome)

    def _count(self, segment: str, method: str, outcome: str) -> None:
        upstream_requests(self.name, segment, method, outcome).inc()
        self._circuit_state.set(int(self.breaker.state))


async def open_upstreams(settings: GatewaySettings, stack: AsyncExitStack) -> dict[str, Upstream]:
    """Start what the gateway talks to; everything opened is closed by `stack`."""
    # One INFO line per upstream call would double the access log's cost on the hot path; the
    # access log and the upstream metrics already tell each call.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    timeout = httpx.Timeout(
        connect=settings.upstream_connect_timeout,
        read=settings.upstream_read_timeout,
        write=settings.upstream_read_timeout,
        pool=settings.upstream_pool_timeout,
    )
    deadline = (
        settings.upstream_connect_timeout
        + settings.upstream_pool_timeout
        + settings.upstream_read_timeout
    )
    embedded_apps = await start_embedded_services(settings, stack) if settings.embedded else {}
    upstreams: dict[str, Upstream] = {}
    for name in settings.services:
        if settings.embedded:
            transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=embedded_apps[name])
            base_url = f"http://{name}.embedded"
        else:
            transport = httpx.AsyncHTTPTransport(
                retries=0,  # retries are ours: idempotent methods only (Upstream.send)
                limits=httpx.Limits(
                    max_connections=settings.upstream_max_connections,
                    max_keepalive_connections=settings.upstream_max_connections,
                    keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
                ),
            )
            base_url = settings.upstreams[name]
        client = httpx.AsyncClient(
            transport=transport, base_url=base_url, timeout=timeout, cookies=no_cookies()
        )
        await stack.enter_async_context(client)
        upstreams[name] = Upstream(
            name,
            client,
            transport=transport,
            breaker=CircuitBreaker(
                failure_threshold=settings.breaker_failure_threshold,
                reset_seconds=settings.breaker_reset_seconds,
            ),
            retries=settings.upstream_retries,
            retry_backoff_seconds=settings.upstream_retry_backoff_seconds,
            deadline_seconds=deadline,
        )
    return upstreams
