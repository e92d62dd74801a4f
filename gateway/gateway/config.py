"""Gateway settings: the routing table and how to reach each upstream."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from firesafe_kit.settings import KitSettings, service_database_url

# First path segment after /api/v1/ -> owning service (API.md "Resources by service").
DEFAULT_ROUTES: dict[str, str] = {
    **dict.fromkeys(
        [
            "districts",
            "streets",
            "communities",
            "grids",
            "compounds",
            "buildings",
            "premises",
            "stations",
            "facilities",
            "key-residents",
            "imports",
            "audit-log",
        ],
        "registry",
    ),
    **dict.fromkeys(
        ["checklists", "inspections", "hazards", "maintenance-records", "compliance"],
        "inspection",
    ),
    **dict.fromkeys(
        ["shift-patterns", "shifts", "coverage", "on-duty", "check-ins", "patrols", "activities"],
        "duty-roster",
    ),
    **dict.fromkeys(["alerts", "escalation-policies", "subscriptions", "notices"], "alerts"),
}

# Embedded mode: the app factory of each service, imported by name so that the gateway
# package itself depends on no service.
EMBEDDED_FACTORIES: dict[str, str] = {
    "registry": "registry.main:create_app",
    "inspection": "inspection.main:create_app",
    "duty-roster": "duty_roster.main:create_app",
    "alerts": "alerts.main:create_app",
}


class GatewaySettings(KitSettings):
    service_name: ClassVar[str] = "gateway"
    database_url: str = service_database_url("gateway")
    routes: dict[str, str] = Field(default=DEFAULT_ROUTES, validation_alias="FIRESAFE_ROUTES")
    # service -> base URL; empty means embedded: every service in this process.
    upstreams: dict[str, str] = Field(default_factory=dict, validation_alias="FIRESAFE_UPSTREAMS")
    upstream_connect_timeout: float = Field(
        default=2.0, gt=0, validation_alias="FIRESAFE_UPSTREAM_CONNECT_TIMEOUT"
    )
    upstream_read_timeout: float = Field(
        default=15.0, gt=0, validation_alias="FIRESAFE_UPSTREAM_READ_TIMEOUT"
    )
    upstream_pool_timeout: float = Field(
        default=2.0, gt=0, validation_alias="FIRESAFE_UPSTREAM_POOL_TIMEOUT"
    )
    upstream_max_connections: int = Field(
        default=100, ge=1, validation_alias="FIRESAFE_UPSTREAM_MAX_CONNECTIONS"
    )

    @property
    def embedded(self) -> bool:
        return not self.upstreams
