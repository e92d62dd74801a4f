"""`/api/v1/api-keys`: create (the key is in the 201 answer, and nowhere ever again), list,
read, revoke. For a city-wide city_admin signed in with a JWT; anyone else gets 403.

Creation does not honour `Idempotency-Key`: replaying the first answer would mean storing the
key to show it again, which is exactly what must not exist. A client that lost the answer
revokes that key and creates another."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.dependencies import CurrentActor
from firesafe_kit.crud.records import etag_of
from firesafe_kit.http.etag import IfMatch
from firesafe_kit.http.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from firesafe_kit.http.problems import Forbidden
from gateway.api_keys import service
from gateway.api_keys.errors import KeysManagedByPeople
from gateway.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from gateway.config import API_PREFIX, GatewaySettings
from gateway.database import SessionDep

router = APIRouter(prefix=f"{API_PREFIX}/api-keys", tags=["api keys"])
KeyId = Annotated[str, Path(alias="id", max_length=36, description="API key id")]


async def require_key_admin(actor: CurrentActor) -> Actor:
    if actor.via != "jwt":
        raise KeysManagedByPeople()
    # Keys may carry any role and scope: issuing them is a city-wide administrator's task.
    if not (actor.has_role("city_admin") and actor.is_city):
        raise Forbidden(code="forbidden_role", detail="api keys: city_admin with city scope")
    return actor


KeyAdmin = Annotated[Actor, Depends(require_key_admin)]


def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


@router.post("", status_code=201, response_model=ApiKeyCreated, name="create_api_key")
async def create_api_key(
    body: ApiKeyCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    admin: KeyAdmin,
) -> ApiKeyCreated:
    record, key = await service.create(
        session=session,
        data=body,
        actor=admin,
        default_rate_limit=_settings(request).rate_limit_per_minute,
    )
    response.headers["Location"] = f"{API_PREFIX}/api-keys/{record.id}"
    response.headers["ETag"] = etag_of(record)
    response.headers["Cache-Control"] = "no-store"  # the one answer that holds the key
    return ApiKeyCreated(**ApiKeyRead.of(record).model_dump(), key=key)


@router.get("", response_model=Page[ApiKeyRead], name="list_api_keys")
async def list_api_keys(
    session: SessionDep, _admin: KeyAdmin, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[ApiKeyRead]:
    records, next_cursor = await service.page(session=session, limit=limit, cursor=cursor)
    return Page[ApiKeyRead](
        items=[ApiKeyRead.of(record) for record in records], next_cursor=next_cursor
    )


@router.get("/{id}", response_model=ApiKeyRead, name="read_api_key")
async def read_api_key(
    key_id: KeyId, response: Response, session: SessionDep, _admin: KeyAdmin
) -> ApiKeyRead:
    record = await service.get(session=session, key_id=key_id)
    response.headers["ETag"] = etag_of(record)
    return ApiKeyRead.of(record)


@router.post("/{id}/revoke", response_model=ApiKeyRead, name="revoke_api_key")
async def revoke_api_key(
    key_id: KeyId,
    request: Request,
    response: Response,
    session: SessionDep,
    admin: KeyAdmin,
    if_match: IfMatch = None,
) -> ApiKeyRead:
    record = await service.revoke(session=session, key_id=key_id, actor=admin, if_match=if_match)
    door = request.app.state.door
    if door is not None:
        door.authenticator.keys.forget(record.id)  # refused here from the next request on
    response.headers["ETag"] = etag_of(record)
    return ApiKeyRead.of(record)
