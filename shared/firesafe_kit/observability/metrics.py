"""Prometheus metrics, one registry per process labelled by service (embedded mode hosts all
services in one process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "firesafe_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "firesafe_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge("firesafe_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_PUBLISHED = Counter("firesafe_outbox_published_total", "Outbox rows published", ["service"])
CONSUMER_LAG = Gauge(
    "firesafe_consumer_lag", "Records behind the end of the log", ["group", "topic", "partition"]
)
EVENTS_HANDLED = Counter(
    "firesafe_events_handled_total", "Events consumed", ["group", "type", "outcome"]
)
DEAD_LETTERS = Counter(
    "firesafe_dead_letters_total", "Records sent to a dead-letter topic", ["group", "topic"]
)
