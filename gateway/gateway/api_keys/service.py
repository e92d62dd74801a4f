"""API key operations on the gateway's database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.auth.actor import Actor
from firesafe_kit.clock import utcnow
from firesafe_kit.crud.records import etag_of, get_live
from firesafe_kit.http.etag import check_if_match
from firesafe_kit.http.pagination import keyset_page
from gateway.api_keys.errors import ApiKeyAlreadyRevoked, ApiKeyNotFound
from gateway.api_keys.key_material import display_prefix, hash_key, new_key
from gateway.api_keys.schemas import ApiKeyCreate
from gateway.models import ApiKey


async def create(
    *, session: AsyncSession, data: ApiKeyCreate, actor: Actor, default_rate_limit: int
) -> tuple[ApiKey, str]:
    """The stored record and the key itself, which exists nowhere else from now on."""
    key = new_key()
    record = ApiKey(
        name=data.name,
        key_hash=hash_key(key),
        key_prefix=display_prefix(key),
        roles=list(data.roles),
        jurisdiction=list(data.jurisdiction),
        rate_limit_per_minute=data.rate_limit_per_minute or default_rate_limit,
        expires_at=data.expires_at,
        created_by=actor.sub,
    )
    async with session.begin():
        session.add(record)
    return record, key


async def page(
    *, session: AsyncSession, limit: int, cursor: str | None
) -> tuple[list[ApiKey], str | None]:
    statement = select(ApiKey).where(col(ApiKey.deleted_at).is_(None))
    async with session.begin():
        return await keyset_page(
            session,
            statement,
            sort=col(ApiKey.created_at),
            id=col(ApiKey.id),
            limit=limit,
            cursor=cursor,
        )


async def get(*, session: AsyncSession, key_id: str) -> ApiKey:
    async with session.begin():
        record = await get_live(session, ApiKey, key_id)
    if record is None:
        raise ApiKeyNotFound(detail=f"/api/v1/api-keys/{key_id}")
    return record


async def revoke(
    *, session: AsyncSession, key_id: str, actor: Actor, if_match: str | None
) -> ApiKey:
    """Revoked for good; a second revocation is a 409, a stale If-Match a 412."""
    async with session.begin():
        record = await get_live(session, ApiKey, key_id)
        if record is None:
            raise ApiKeyNotFound(detail=f"/api/v1/api-keys/{key_id}")
        if record.revoked_at is not None:
            raise ApiKeyAlreadyRevoked(detail=f"revoked at {record.revoked_at.isoformat()}")
        check_if_match(if_match, etag_of(record))
        now = utcnow()
        # The condition on revoked_at makes two concurrent revocations one success, one 409.
        result = await session.execute(
            update(ApiKey)
            .where(col(ApiKey.id) == key_id, col(ApiKey.revoked_at).is_(None))
            .values(
                revoked_at=now, revoked_by=actor.sub, version=record.version + 1, updated_at=now
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ApiKeyAlreadyRevoked()
        session.expunge(record)
        record.revoked_at, record.revoked_by = now, actor.sub
        record.version, record.updated_at = record.version + 1, now
    return record


async def find_by_hash(*, session: AsyncSession, key_hash: str) -> ApiKey | None:
    async with session.begin():
        statement = select(ApiKey).where(
            col(ApiKey.key_hash) == key_hash, col(ApiKey.deleted_at).is_(None)
        )
        return (await session.exec(statement)).first()


async def record_use(*, session: AsyncSession, key_id: str, at: datetime) -> None:
    """`last_used_at`, which is bookkeeping: no new version, no new ETag."""
    async with session.begin():
        await session.execute(
            update(ApiKey)
            .where(col(ApiKey.id) == key_id)
            .values(last_used_at=at)
            .execution_options(synchronize_session=False)
        )
