"""The gateway's own Prometheus series, next to the kit's per-route HTTP series.

Labels stay bounded: upstream and segment come from the routing table (unknown segments are
answered 404 before any call), outcomes from a fixed set.
"""

from __future__ import annotations

from functools import lru_cache

from prometheus_client import Counter, Gauge, Histogram

# Any other method a client invents is counted as OTHER: labels must stay bounded.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

UPSTREAM_REQUESTS = Counter(
    "firesafe_gateway_upstream_requests_total",
    "Calls to upstream services by outcome: 2xx/3xx/4xx/5xx, timeout, unavailable, "
    "bad_response, circuit_open",
    ["upstream", "segment", "method", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "firesafe_gateway_upstream_request_duration_seconds",
    "Latency of calls to upstream services, retries included",
    ["upstream", "segment", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CIRCUIT_STATE = Gauge(
    "firesafe_gateway_circuit_state",
    "Circuit breaker per upstream: 0 closed, 1 half-open, 2 open",
    ["upstream"],
)
AUTH_REFUSED = Counter(
    "firesafe_gateway_auth_refused_total", "Requests refused at the door (401)", ["code"]
)
RATE_LIMITED = Counter("firesafe_gateway_rate_limited_total", "Requests refused with 429")


def status_class(status: int) -> str:
    return f"{status // 100}xx"


# The labelled children, looked up once: `labels()` takes a lock and builds a key per call.
@lru_cache(maxsize=4096)
def upstream_latency(upstream: str, segment: str, method: str) -> Histogram:
    return UPSTREAM_LATENCY.labels(upstream, segment, _method(method))


@lru_cache(maxsize=4096)
def upstream_requests(upstream: str, segment: str, method: str, outcome: str) -> Counter:
    return UPSTREAM_REQUESTS.labels(upstream, segment, _method(method), outcome)


def _method(method: str) -> str:
    return method if method in _KNOWN_METHODS else "OTHER"
