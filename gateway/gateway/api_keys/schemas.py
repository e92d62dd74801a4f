"""API shapes of API keys: ApiKeyCreate / ApiKeyRead / ApiKeyCreated (with the key, once)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from firesafe_kit.auth.actor import ROLES, Scope
from firesafe_kit.clock import utcnow
from gateway.models import ApiKey

Role = Literal[
    "city_admin",
    "district_officer",
    "street_officer",
    "community_staff",
    "station_member",
    "fire_inspector",
    "property_manager",
    "viewer",
]
if set(get_args(Role)) != ROLES:  # the enum of the API document follows the kit's role list
    raise RuntimeError("gateway.api_keys.schemas.Role is out of step with firesafe_kit ROLES")

KeyStatus = Literal["active", "revoked", "expired"]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100, examples=["市数据平台"])
    roles: list[Role] = Field(min_length=1, max_length=8, examples=[["viewer"]])
    jurisdiction: list[str] = Field(
        min_length=1,
        max_length=50,
        description="city, district:<id>, street:<id>, community:<id> or station:<id>",
        examples=[["city"]],
    )
    rate_limit_per_minute: int | None = Field(
        default=None, ge=1, le=100_000, description="omitted: the gateway's default"
    )
    expires_at: AwareDatetime | None = Field(default=None, description="omitted: never")

    @field_validator("roles")
    @classmethod
    def _distinct_roles(cls, roles: list[Role]) -> list[Role]:
        return list(dict.fromkeys(roles))

    @field_validator("jurisdiction")
    @classmethod
    def _valid_scopes(cls, scopes: list[str]) -> list[str]:
        return list(dict.fromkeys(str(Scope.parse(scope)) for scope in scopes))

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= utcnow():
            raise ValueError("expires_at must be in the future")
        return value


class ApiKeyRead(BaseModel):
    id: str
    version: int
    name: str
    key_prefix: str = Field(description="the key's first characters, to tell keys apart")
    roles: list[str]
    jurisdiction: list[str]
    rate_limit_per_minute: int
    expires_at: datetime | None
    status: KeyStatus
    created_at: datetime
    created_by: str
    last_used_at: datetime | None = Field(description="updated at most once a minute")
    revoked_at: datetime | None
    revoked_by: str | None

    @classmethod
    def of(cls, record: ApiKey) -> ApiKeyRead:
        return cls(
            id=record.id,
            version=record.version,
            name=record.name,
            key_prefix=record.key_prefix,
            roles=record.roles,
            jurisdiction=record.jurisdiction,
            rate_limit_per_minute=record.rate_limit_per_minute,
            expires_at=record.expires_at,
            status=status_of(record),
            created_at=record.created_at,
            created_by=record.created_by,
            last_used_at=record.last_used_at,
            revoked_at=record.revoked_at,
            revoked_by=record.revoked_by,
        )


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="the key itself: shown in this answer only, never again")


def status_of(record: ApiKey) -> KeyStatus:
    if record.revoked_at is not None:
        return "revoked"
    if record.expires_at is not None and record.expires_at <= utcnow():
        return "expired"
    return "active"
