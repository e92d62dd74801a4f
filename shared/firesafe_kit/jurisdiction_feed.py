"""Keeps each service's copy of the administrative tree from the registry's events.

Jurisdiction is checked locally in every service; this feed is the only part of the registry's
event shapes the kit reads: an entity's `id` and its parent's id. Nothing else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.auth.jurisdiction import delete_node, upsert_node
from firesafe_kit.events.consumer import Handler
from firesafe_kit.events.envelope import CloudEvent, InvalidEvent
from firesafe_kit.runtime import ConsumerSpec

REGISTRY_TOPIC = "firesafe.registry.v1"
# kind of node -> the field of its event data that names the parent
_PARENT_FIELD = {
    "district": None,
    "street": "district_id",
    "community": "street_id",
    "station": "community_id",
}


def _upsert(kind: str, parent_field: str | None) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        node_id = event.data.get("id") or event.subject
        parent_id = event.data.get(parent_field) if parent_field else None
        if not node_id or (parent_field and not parent_id):
            raise InvalidEvent(f"{event.type} lacks id or {parent_field}")
        await upsert_node(
            session, id=str(node_id), kind=kind, parent_id=parent_id and str(parent_id)
        )

    return handle


def _delete() -> Callable[[AsyncSession, CloudEvent], Awaitable[None]]:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        await delete_node(session, str(event.data.get("id") or event.subject))

    return handle


def tree_feed_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for kind, parent_field in _PARENT_FIELD.items():
        for verb in ("created", "updated"):
            handlers[f"firesafe.registry.{kind}.{verb}"] = _upsert(kind, parent_field)
        handlers[f"firesafe.registry.{kind}.deleted"] = _delete()
    return handlers


def tree_feed_consumer() -> ConsumerSpec:
    return ConsumerSpec(name="tree", topics=[REGISTRY_TOPIC], handlers=tree_feed_handlers())
