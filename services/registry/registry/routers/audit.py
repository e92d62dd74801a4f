"""`/audit-log`: every unmasked read of a key resident's personal data (city_admin only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends
from pydantic import BaseModel, ConfigDict
from sqlmodel import col, select

from firesafe_kit.app import api_router
from firesafe_kit.auth.dependencies import require_roles
from firesafe_kit.deps import SessionDep
from firesafe_kit.http.pagination import Cursor, Limit, Page, keyset_page
from registry.models import PiiAccess

router = api_router("/audit-log", tags=["key residents"])


class PiiAccessRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    actor_sub: str
    actor_name: str | None
    actor_roles: list[str]
    resource: str
    resource_id: str
    community_id: str
    request_id: str | None


@router.get(
    "",
    response_model=Page[PiiAccessRead],
    name="list_pii_access",
    dependencies=[Depends(require_roles("city_admin"))],
)
async def list_pii_access(
    session: SessionDep,
    resource_id: str | None = None,
    actor_sub: str | None = None,
    community_id: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, object]:
    statement = select(PiiAccess)
    for column, value in (
        (PiiAccess.resource_id, resource_id),
        (PiiAccess.actor_sub, actor_sub),
        (PiiAccess.community_id, community_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    async with session.begin():
        rows, next_cursor = await keyset_page(
            session,
            statement,
            sort=col(PiiAccess.at),
            id=col(PiiAccess.id),
            limit=limit,
            cursor=cursor,
            descending=True,
        )
    return {"items": [PiiAccessRead.model_validate(r) for r in rows], "next_cursor": next_cursor}
