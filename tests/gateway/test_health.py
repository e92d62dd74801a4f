"""Health of the gateway: alive, ready (its database and each upstream), and metrics per
route and per upstream."""

from __future__ import annotations

from tests.gateway.conftest import Distributed, RunningGateway
from tests.gateway.support import SERVICES, StubUpstream, closed_url, serving


async def test_ready_names_the_database_and_every_upstream(gateway: RunningGateway) -> None:
    async with gateway.anonymous() as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == dict.fromkeys(["database", *SERVICES], "ok")


async def test_a_down_upstream_makes_the_gateway_not_ready(distributed: Distributed) -> None:
    async with (
        serving(StubUpstream()) as stub,
        distributed(default_url=stub.url, upstreams={"alerts": closed_url()}) as gw,
        gw.anonymous() as client,
    ):
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks.pop("alerts") != "ok"
    assert checks == dict.fromkeys(["database", "duty-roster", "inspection", "registry"], "ok")


async def test_metrics_per_route_and_per_upstream(gateway: RunningGateway) -> None:
    admin = await gateway.admin()
    assert (await admin.get("/api/v1/streets")).status_code == 200
    assert (await admin.get("/api/v1/api-keys")).status_code == 200
    async with gateway.anonymous() as client:
        metrics = (await client.get("/metrics")).text
    upstream_lines = [
        line
        for line in metrics.splitlines()
        if line.startswith("firesafe_gateway_upstream_request_duration_seconds_count")
        and 'upstream="registry"' in line
        and 'segment="streets"' in line
    ]
    assert upstream_lines, "no latency of the registry upstream"
    assert (
        'firesafe_gateway_upstream_requests_total{method="GET",outcome="2xx",'
        'segment="streets",upstream="registry"}'
    ) in metrics
    # The kit's per-route series, labelled with the gateway's route templates.
    assert 'route="/api/v1/api-keys"' in metrics and 'service="gateway"' in metrics
