"""Gateway settings: the routing table, how to reach each upstream, and the door's rules
(identity, API keys, rate limits, CORS)."""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from firesafe_kit.auth.internal import InternalTokenSettings
from firesafe_kit.settings import KitSettings, service_database_url

API_PREFIX = "/api/v1"

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

# Segments the gateway answers itself; like the routed ones, they need an identity.
GATEWAY_SEGMENTS: frozenset[str] = frozenset({"api-keys", "scorecards"})
# The API documents are public: they describe the API, they hold no data.
PUBLIC_PATHS: frozenset[str] = frozenset(
    {f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/asyncapi.json"}
)
# Bodies under these prefixes are not JSON (CSV imports): no 415 for them.
NON_JSON_PREFIXES: tuple[str, ...] = (f"{API_PREFIX}/imports",)

# Embedded mode: the app factory and settings class of each service, imported by name so that
# the gateway package itself depends on no service.
EMBEDDED_FACTORIES: dict[str, str] = {
    "registry": "registry.main:create_app",
    "inspection": "inspection.main:create_app",
    "duty-roster": "duty_roster.main:create_app",
    "alerts": "alerts.main:create_app",
}
EMBEDDED_SETTINGS: dict[str, str] = {
    "registry": "registry.config:RegistrySettings",
    "inspection": "inspection.config:InspectionSettings",
    "duty-roster": "duty_roster.config:DutyRosterSettings",
    "alerts": "alerts.config:AlertsSettings",
}

RateLimitStrategy = Literal["fixed-window", "sliding-window-counter", "moving-window"]


def _json_or_comma_list(value: Any) -> Any:
    """`["https://a", "https://b"]` or `https://a,https://b` from the environment."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


class GatewaySettings(KitSettings):
    service_name: ClassVar[str] = "gateway"
    # The gateway's own database: API keys.
    database_url: str = service_database_url("gateway")
    routes: dict[str, str] = Field(default=DEFAULT_ROUTES, validation_alias="FIRESAFE_ROUTES")
    # service -> base URL; empty means embedded: every service in this process.
    upstreams: dict[str, str] = Field(default_factory=dict, validation_alias="FIRESAFE_UPSTREAMS")
    # Embedded mode only: service -> database URL (else `<SERVICE>_DATABASE_URL`, or SQLite).
    service_database_urls: dict[str, str] = Field(
        default_factory=dict, validation_alias="FIRESAFE_SERVICE_DATABASE_URLS"
    )

    # --- upstream calls
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
    # Extra attempts of an idempotent request whose connection failed (nothing was processed).
    upstream_retries: int = Field(
        default=1, ge=0, le=3, validation_alias="FIRESAFE_UPSTREAM_RETRIES"
    )
    upstream_retry_backoff_seconds: float = Field(
        default=0.05, ge=0, le=2, validation_alias="FIRESAFE_UPSTREAM_RETRY_BACKOFF_SECONDS"
    )
    # Circuit breaker per upstream: open after this many consecutive failures ...
    breaker_failure_threshold: int = Field(
        default=5, ge=1, validation_alias="FIRESAFE_BREAKER_FAILURES"
    )
    # ... answer 503 at once for this long, then let one trial request through (half-open).
    breaker_reset_seconds: float = Field(
        default=10.0, gt=0, validation_alias="FIRESAFE_BREAKER_RESET_SECONDS"
    )

    # --- identity
    internal_token: InternalTokenSettings = Field(default_factory=InternalTokenSettings)
    # Verified bearer tokens are remembered this long (never past their expiry); 0 = off.
    token_cache_seconds: float = Field(
        default=30.0, ge=0, le=300, validation_alias="FIRESAFE_TOKEN_CACHE_SECONDS"
    )
    # API key lookups are remembered this long: a revocation reaches other replicas within it.
    api_key_cache_seconds: float = Field(
        default=5.0, ge=0, le=60, validation_alias="FIRESAFE_API_KEY_CACHE_SECONDS"
    )
    # `last_used_at` is written at most this often per key.
    api_key_touch_seconds: float = Field(
        default=60.0, ge=0, validation_alias="FIRESAFE_API_KEY_TOUCH_SECONDS"
    )

    # --- rate limits
    rate_limit_per_minute: int = Field(
        default=600, ge=1, validation_alias="FIRESAFE_RATE_LIMIT_PER_MINUTE"
    )
    # `memory://` counts in this process only; several replicas need a shared storage such as
    # `redis://host:6379` (any URI the `limits` library knows; `async+` is added when missing).
    rate_limit_storage_uri: str = Field(
        default="memory://", validation_alias="FIRESAFE_RATE_LIMIT_STORAGE"
    )
    rate_limit_strategy: RateLimitStrategy = Field(
        default="fixed-window", validation_alias="FIRESAFE_RATE_LIMIT_STRATEGY"
    )

    # --- browsers
    cors_allow_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="FIRESAFE_CORS_ORIGINS"
    )
    cors_allow_credentials: bool = Field(
        default=False, validation_alias="FIRESAFE_CORS_CREDENTIALS"
    )

    @field_validator("cors_allow_origins", mode="before")
    @classmethod
    def _origins_list(cls, value: Any) -> Any:
        return _json_or_comma_list(value)

    @model_validator(mode="after")
    def _refuse_unsafe_door(self) -> GatewaySettings:
        if "*" in self.cors_allow_origins and self.cors_allow_credentials:
            raise ValueError("CORS: '*' with credentials is refused; list the allowed origins")
        internal = self.internal_token
        if internal.signing_secret(self) is None:
            raise ValueError(
                "FIRESAFE_JWKS_URL is set: set FIRESAFE_INTERNAL_TOKEN_SECRET so that the "
                "services can verify the identity of API-key callers"
            )
        if internal.issuer == self.jwt_issuer:
            raise ValueError("FIRESAFE_INTERNAL_TOKEN_ISSUER must differ from FIRESAFE_JWT_ISSUER")
        if self.env == "prod" and internal.secret and len(internal.secret) < 32:
            raise ValueError("FIRESAFE_INTERNAL_TOKEN_SECRET must be at least 32 characters")
        unknown = sorted(set(self.upstreams) - set(self.routes.values()))
        if unknown:
            raise ValueError(f"FIRESAFE_UPSTREAMS names services no route leads to: {unknown}")
        if self.upstreams and set(self.routes.values()) - set(self.upstreams):
            missing = sorted(set(self.routes.values()) - set(self.upstreams))
            raise ValueError(f"FIRESAFE_UPSTREAMS has no URL for: {missing}")
        return self

    @property
    def embedded(self) -> bool:
        return not self.upstreams

    @property
    def services(self) -> list[str]:
        return sorted(set(self.routes.values()))
