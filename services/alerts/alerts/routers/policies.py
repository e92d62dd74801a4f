"""`/escalation-policies`: one per severity; everyone may read them, city_admin changes them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Response
from pydantic import ValidationError
from sqlmodel import col, select, update

from alerts.access import POLICY_WRITERS
from alerts.models import EscalationPolicy
from alerts.schemas.alerts import Severity
from alerts.schemas.policies import PolicyFields, PolicyRead
from firesafe_kit.app import api_router
from firesafe_kit.auth.dependencies import CurrentActor
from firesafe_kit.clock import utcnow
from firesafe_kit.crud.merge_patch import body_validation_error, merge_patch
from firesafe_kit.deps import SessionDep
from firesafe_kit.http.etag import IfMatch, check_if_match, etag_for
from firesafe_kit.http.pagination import Page
from firesafe_kit.http.problems import Forbidden, NotFound, PreconditionFailed

router = api_router("/escalation-policies", tags=["escalation"])
SeverityPath = Annotated[Severity, Path(alias="severity")]


def _etag(policy: EscalationPolicy) -> str:
    return etag_for(policy.severity, policy.version)


@router.get("", response_model=Page[PolicyRead], name="list_escalation_policies")
async def list_policies(session: SessionDep, _actor: CurrentActor) -> Any:
    async with session.begin():
        rows = await session.exec(select(EscalationPolicy).order_by(col(EscalationPolicy.severity)))
        items = [PolicyRead.model_validate(row) for row in rows]
    return {"items": items, "next_cursor": None}


@router.get("/{severity}", response_model=PolicyRead, name="read_escalation_policy")
async def read_policy(
    severity: SeverityPath, response: Response, session: SessionDep, _actor: CurrentActor
) -> Any:
    async with session.begin():
        policy = await session.get(EscalationPolicy, severity)
        if policy is None:
            raise NotFound(detail=f"/escalation-policies/{severity}")
        shown = PolicyRead.model_validate(policy)
    response.headers["ETag"] = _etag(policy)
    return shown


@router.patch("/{severity}", response_model=PolicyRead, name="update_escalation_policy")
async def update_policy(
    severity: SeverityPath,
    changes: Annotated[dict[str, Any], Body(media_type="application/merge-patch+json")],
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    if_match: IfMatch = None,
) -> Any:
    if not actor.roles & POLICY_WRITERS:
        raise Forbidden(code="forbidden_role", detail="needs city_admin")
    async with session.begin():
        policy = await session.get(EscalationPolicy, severity)
        if policy is None:
            raise NotFound(detail=f"/escalation-policies/{severity}")
        check_if_match(if_match, _etag(policy))
        current = PolicyFields.model_validate(policy, from_attributes=True).model_dump()
        try:
            document = PolicyFields.model_validate(merge_patch(current, changes))
        except ValidationError as exc:
            raise body_validation_error(exc) from exc
        values = {
            **document.model_dump(),
            "version": policy.version + 1,
            "updated_at": utcnow(),
            "updated_by": actor.sub,
        }
        result = await session.exec(
            update(EscalationPolicy)
            .where(
                col(EscalationPolicy.severity) == severity,
                col(EscalationPolicy.version) == policy.version,
            )
            .values(**values)
        )
        if result.rowcount != 1:
            raise PreconditionFailed(code="etag_mismatch", detail="changed by someone else")
        await session.refresh(policy)
        shown = PolicyRead.model_validate(policy)
    response.headers["ETag"] = _etag(policy)
    return shown
