"""`/subscriptions`: webhooks, managed by city_admin. The secret is write-only.

A target is checked (resolved, in prod) outside any transaction: DNS may be slow and must not
hold a database connection or SQLite's write lock. A PATCH therefore reads in one transaction
and writes in another, the version in the UPDATE's WHERE keeping the pair atomic (412 if the
subscription changed between them).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import Body, Depends, Path, Query, Response
from pydantic import ValidationError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts.context import AlertsContext
from alerts.deps import ContextDep
from alerts.models import Delivery, DeliveryAttempt, Subscription
from alerts.webhooks.schemas import (
    AttemptRead,
    DeliveryFilters,
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionFields,
    SubscriptionFilters,
    SubscriptionRead,
    SubscriptionUpdate,
)
from alerts.webhooks.targets import TargetRefused, check_target
from firesafe_kit.app import api_router
from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.dependencies import require_roles
from firesafe_kit.crud.listing import page_of, where_equal
from firesafe_kit.crud.merge_patch import body_validation_error, merge_patch
from firesafe_kit.crud.records import etag_of, get_live, update_versioned
from firesafe_kit.deps import SessionDep
from firesafe_kit.http.etag import IfMatch, check_if_match
from firesafe_kit.http.pagination import Page, keyset_page
from firesafe_kit.http.problems import NotFound, Unprocessable

router = api_router("/subscriptions", tags=["webhooks"])
SubscriptionId = Annotated[str, Path(alias="id", max_length=36, description="subscription id")]
# A dependency, so a caller without the role gets 403 before the body is even validated.
Admin = Annotated[Actor, Depends(require_roles("city_admin"))]
EDITABLE = set(SubscriptionFields.model_fields)


class WebhookTargetRefused(Unprocessable):
    code = "webhook_target_refused"
    title_zh = "不接受该推送地址"
    title_en = "The webhook target is refused"


async def _check_target(url: str, context: AlertsContext) -> None:
    try:
        await check_target(url, allow_private=context.settings.private_webhook_targets_allowed)
    except TargetRefused as exc:
        error = {"loc": ["body", "url"], "msg": str(exc), "type": WebhookTargetRefused.code}
        raise WebhookTargetRefused(detail=str(exc), errors=[error]) from exc


async def _live(session: AsyncSession, subscription_id: str) -> Subscription:
    subscription = await get_live(session, Subscription, subscription_id)
    if subscription is None:
        raise NotFound(detail=f"/subscriptions/{subscription_id}")
    return subscription


def _patched(subscription: Subscription, changes: dict[str, Any]) -> SubscriptionUpdate:
    """The subscription's editable document with the merge patch applied, validated."""
    current = SubscriptionFields.model_validate(subscription, from_attributes=True)
    document = {**current.model_dump(mode="json"), "status": subscription.status}
    try:
        return SubscriptionUpdate.model_validate(merge_patch(document, changes))
    except ValidationError as exc:
        raise body_validation_error(exc) from exc


def _column_changes(
    subscription: Subscription,
    document: SubscriptionUpdate,
    changes: dict[str, Any],
    actor: Actor,
    context: AlertsContext,
) -> dict[str, Any]:
    values = document.model_dump(include=EDITABLE)
    if document.secret is not None:
        values["secret"] = document.secret
    if changes.get("status") == "active":
        # Enabling starts the count afresh; its waiting deliveries go out on the next pass.
        values.update(status="active", consecutive_failures=0, disabled_reason=None)
        values.update(disabled_at=None)
    elif document.status == "disabled" and subscription.status != "disabled":
        values.update(
            status="disabled",
            disabled_at=context.clock.now(),
            disabled_reason=f"disabled by {actor.sub}"[:500],
        )
    return values


@router.post("", status_code=201, response_model=SubscriptionRead, name="create_subscription")
async def create_subscription(
    body: SubscriptionCreate,
    response: Response,
    session: SessionDep,
    actor: Admin,
    context: ContextDep,
) -> Any:
    """Every event of `event_types` (within `jurisdiction`, if given) is POSTed to `url`,
    signed with `secret` (see `X-Firesafe-Signature`)."""
    await _check_target(body.url, context)
    async with session.begin():
        subscription = Subscription(**body.model_dump(), created_by=actor.sub)
        session.add(subscription)
        await session.flush()
        shown = SubscriptionRead.model_validate(subscription)
    response.headers["ETag"] = etag_of(subscription)
    response.headers["Location"] = f"/api/v1/subscriptions/{subscription.id}"
    return shown


@router.get("", response_model=Page[SubscriptionRead], name="list_subscriptions")
async def list_subscriptions(
    query: Annotated[SubscriptionFilters, Query()], session: SessionDep, _actor: Admin
) -> Any:
    """Newest first."""
    async with session.begin():
        statement = select(Subscription).where(col(Subscription.deleted_at).is_(None))
        statement = where_equal(statement, Subscription, query)
        return await page_of(
            session, statement, Subscription, query, SubscriptionRead, newest_first=True
        )


@router.get("/{id}", response_model=SubscriptionRead, name="read_subscription")
async def read_subscription(
    subscription_id: SubscriptionId, response: Response, session: SessionDep, _actor: Admin
) -> Any:
    async with session.begin():
        subscription = await _live(session, subscription_id)
        shown = SubscriptionRead.model_validate(subscription)
    response.headers["ETag"] = etag_of(subscription)
    return shown


@router.patch("/{id}", response_model=SubscriptionRead, name="update_subscription")
async def update_subscription(
    subscription_id: SubscriptionId,
    changes: Annotated[dict[str, Any], Body(media_type="application/merge-patch+json")],
    response: Response,
    session: SessionDep,
    actor: Admin,
    context: ContextDep,
    if_match: IfMatch = None,
) -> Any:
    """Merge patch. `"status": "active"` enables a disabled subscription (and clears its
    failure count); `"status": "disabled"` pauses it. A new `secret` replaces the old one."""
    async with session.begin():
        subscription = await _live(session, subscription_id)
        check_if_match(if_match, etag_of(subscription))
        document = _patched(subscription, changes)
    if document.url != subscription.url:
        await _check_target(document.url, context)
    async with session.begin():
        values = _column_changes(subscription, document, changes, actor, context)
        subscription = await update_versioned(
            session, subscription, values, if_match=etag_of(subscription)
        )
        shown = SubscriptionRead.model_validate(subscription)
    response.headers["ETag"] = etag_of(subscription)
    return shown


@router.delete("/{id}", status_code=204, name="delete_subscription")
async def delete_subscription(
    subscription_id: SubscriptionId,
    session: SessionDep,
    _actor: Admin,
    context: ContextDep,
    if_match: IfMatch = None,
) -> Response:
    """Soft delete; deliveries still waiting are given up (their history stays)."""
    now = context.clock.now()
    async with session.begin():
        subscription = await _live(session, subscription_id)
        await update_versioned(session, subscription, {"deleted_at": now}, if_match=if_match)
        await session.exec(
            update(Delivery)
            .where(
                col(Delivery.subscription_id) == subscription_id,
                col(Delivery.status) == "pending",
            )
            .values(status="failed", last_error="subscription deleted")
        )
    return Response(status_code=204)


async def _attempts_of(
    session: AsyncSession, delivery_ids: list[str]
) -> dict[str, list[AttemptRead]]:
    by_delivery: dict[str, list[AttemptRead]] = defaultdict(list)
    if not delivery_ids:
        return by_delivery
    statement = (
        select(DeliveryAttempt)
        .where(col(DeliveryAttempt.delivery_id).in_(delivery_ids))
        .order_by(col(DeliveryAttempt.number), col(DeliveryAttempt.at))
    )
    for attempt in await session.exec(statement):
        by_delivery[attempt.delivery_id].append(AttemptRead.model_validate(attempt))
    return by_delivery


def _delivery_read(delivery: Delivery, attempts: list[AttemptRead]) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        subscription_id=delivery.subscription_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempt_count=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        attempts=attempts,
    )


@router.get(
    "/{id}/deliveries",
    response_model=Page[DeliveryRead],
    name="list_subscription_deliveries",
)
async def list_deliveries(
    subscription_id: SubscriptionId,
    query: Annotated[DeliveryFilters, Query()],
    session: SessionDep,
    _actor: Admin,
) -> Any:
    """Newest first, each with its attempts (status code, error, duration)."""
    async with session.begin():
        await _live(session, subscription_id)
        statement = select(Delivery).where(Delivery.subscription_id == subscription_id)
        if query.status is not None:
            statement = statement.where(Delivery.status == query.status)
        rows, next_cursor = await keyset_page(
            session,
            statement,
            sort=col(Delivery.created_at),
            id=col(Delivery.id),
            limit=query.limit,
            cursor=query.cursor,
            descending=True,
        )
        attempts = await _attempts_of(session, [row.id for row in rows])
        items = [_delivery_read(row, attempts.get(row.id, [])) for row in rows]
    return {"items": items, "next_cursor": next_cursor}
