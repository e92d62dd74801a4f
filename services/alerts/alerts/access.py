"""Who sees which alerts and who may act on them.

An alert carries its community, street and district, so visibility is one WHERE clause: a
user sees the alerts of their part of the tree. The inbox narrows that to what waits at the
user's own level: an alert that escalated to a street shows in the street officer's inbox.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from alerts.models import Alert
from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.jurisdiction import (
    can_access,
    station_community_ids,
    visible_community_ids,
)

ALERT_HANDLERS = frozenset(
    {"city_admin", "district_officer", "street_officer", "community_staff", "fire_inspector"}
)
POLICY_WRITERS = frozenset({"city_admin"})
NOTICE_WRITERS = frozenset({"city_admin", "district_officer", "street_officer"})


async def visible_alerts(session: AsyncSession, actor: Actor) -> ColumnElement[bool] | None:
    """None: every alert (city scope)."""
    communities = await visible_community_ids(session, actor)
    if communities is None:
        return None
    conditions = [
        col(Alert.community_id).in_(sorted(communities)),
        col(Alert.street_id).in_(sorted(actor.scope_ids("street"))),
        col(Alert.district_id).in_(sorted(actor.scope_ids("district"))),
    ]
    return or_(*conditions) if actor.jurisdiction else false()


async def can_see(session: AsyncSession, actor: Actor, alert: Alert) -> bool:
    """One alert: its street or district by the columns it carries (the tree may lag), else
    the kit's check of its community against the actor's scopes."""
    if alert.street_id in actor.scope_ids("street"):
        return True
    if alert.district_id in actor.scope_ids("district"):
        return True
    return await can_access(session, actor, alert.community_id)


async def inbox(session: AsyncSession, actor: Actor) -> ColumnElement[bool]:
    """Unresolved alerts waiting at the caller's own level."""
    if actor.is_city:
        at_my_level: ColumnElement[bool] = col(Alert.escalation_level) == "district"
    else:
        own_communities = set(actor.scope_ids("community"))
        own_communities |= await station_community_ids(session, actor)
        at_my_level = or_(
            and_(
                col(Alert.escalation_level) == "community",
                col(Alert.community_id).in_(sorted(own_communities)),
            ),
            and_(
                col(Alert.escalation_level) == "street",
                col(Alert.street_id).in_(sorted(actor.scope_ids("street"))),
            ),
            and_(
                col(Alert.escalation_level) == "district",
                col(Alert.district_id).in_(sorted(actor.scope_ids("district"))),
            ),
        )
    return and_(col(Alert.status) != "resolved", at_my_level)
