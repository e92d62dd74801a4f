"""The five routes of a resource (create, list, read, patch, delete) from its ResourceSpec.

No `from __future__ import annotations` here: FastAPI reads the route signatures at definition
time, and they name the spec's own schema classes.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.app import api_router
from firesafe_kit.auth.actor import Actor
from firesafe_kit.auth.dependencies import CurrentActor
from firesafe_kit.auth.jurisdiction import can_access
from firesafe_kit.clock import utcnow
from firesafe_kit.crud.listing import where_equal
from firesafe_kit.crud.merge_patch import body_validation_error, merge_patch
from firesafe_kit.crud.records import Record, etag_of, get_live, update_versioned
from firesafe_kit.crud.spec import ListQuery, ResourceSpec, Verb, WriteContext
from firesafe_kit.deps import RuntimeDep, SessionDep
from firesafe_kit.http.etag import IfMatch
from firesafe_kit.http.pagination import Page, keyset_page
from firesafe_kit.http.problems import Conflict, Forbidden, NotFound, Unprocessable


class NotAllowed(Forbidden):
    code = "forbidden_role"
    title_zh = "当前角色无权执行此操作"
    title_en = "Your role may not do this"


class HasDependents(Conflict):
    code = "has_dependents"
    title_zh = "仍有下级数据，不能删除"
    title_en = "Still has dependent records; delete those first"


class ImmutableField(Unprocessable):
    code = "immutable_field"
    title_zh = "该字段创建后不可修改"
    title_en = "This field cannot be changed after creation"


async def load_visible(
    session: AsyncSession, spec: ResourceSpec, record_id: str, actor: Actor
) -> Record:
    """The live record if the actor's jurisdiction covers it; 404 otherwise (existence of
    records outside one's jurisdiction is not revealed)."""
    record = await get_live(session, spec.model, record_id)
    if record is None or not await can_access(session, actor, spec.own_scope(record)):
        raise NotFound(detail=f"{spec.path}/{record_id}")
    return record


def require_write_role(spec: ResourceSpec, actor: Actor, *, update: bool = False) -> None:
    roles = spec.update_roles if update and spec.update_roles is not None else spec.write_roles
    if not (actor.roles & roles):
        raise NotAllowed(detail=f"{spec.name}: needs one of {', '.join(sorted(roles))}")


async def present(spec: ResourceSpec, session: AsyncSession, record: Record, actor: Actor) -> Any:
    if spec.present is not None:
        return await spec.present(session, record, actor)
    return spec.read.model_validate(record, from_attributes=True)


async def record_event(
    context: WriteContext, spec: ResourceSpec, record: Any, verb: Verb, previous: Any = None
) -> None:
    """The change's event, in the change's transaction, then the service's own follow-ups."""
    await context.outbox.publish(
        context.session,
        type=f"{context.outbox.source_prefix}.{spec.name}.{verb}",
        subject=record.id,
        data=spec.event_data(record),
        partition_key=spec.partition_key(record),
    )
    if spec.after_write is not None:
        await spec.after_write(context, record, previous, verb)


def editable_document(spec: ResourceSpec, record: Record) -> dict[str, Any]:
    """The record as its create schema sees it: the base a merge patch applies to."""
    return {name: getattr(record, name) for name in spec.create.model_fields}


def crud_router(spec: ResourceSpec) -> APIRouter:
    Create, Read, Filters = spec.create, spec.read, spec.filters
    router = api_router(spec.path, tags=[spec.tag or spec.path.strip("/")])
    IdPath = Annotated[str, Path(alias="id", description=f"{spec.name} id")]

    def respond(response: Response, record: Record) -> None:
        response.headers["ETag"] = etag_of(record)

    @router.post("", status_code=201, response_model=Read, name=f"create_{spec.name}")
    async def create(
        body: Create,  # type: ignore[valid-type]
        response: Response,
        session: SessionDep,
        actor: CurrentActor,
        runtime: RuntimeDep,
    ) -> Any:
        require_write_role(spec, actor)
        context = WriteContext(session=session, actor=actor, outbox=runtime.outbox)
        async with session.begin():
            columns = await spec.prepare(context, body, None)
            record = spec.model(**columns)
            session.add(record)
            await session.flush()
            await record_event(context, spec, record, "created")
            shown = await present(spec, session, record, actor)
        respond(response, record)
        response.headers["Location"] = f"/api/v1{spec.path}/{record.id}"
        return shown

    @router.get("", response_model=Page[Read], name=f"list_{spec.name}")  # type: ignore[valid-type]
    async def list_records(
        query: Annotated[Filters, Query()],  # type: ignore[valid-type]
        session: SessionDep,
        actor: CurrentActor,
    ) -> Any:
        async with session.begin():
            statement = select(spec.model).where(spec.model.deleted_at.is_(None))  # type: ignore[union-attr]
            paging: ListQuery = query
            statement = where_equal(statement, spec.model, paging)
            visible = await spec.visibility(session, actor)
            if visible is not None:
                statement = statement.where(visible)
            rows, next_cursor = await keyset_page(
                session,
                statement,
                sort=col(spec.model.created_at),
                id=col(spec.model.id),
                limit=paging.limit,
                cursor=paging.cursor,
            )
            items = [await present(spec, session, row, actor) for row in rows]
        return {"items": items, "next_cursor": next_cursor}

    @router.get("/{id}", response_model=Read, name=f"read_{spec.name}")
    async def read(
        record_id: IdPath, response: Response, session: SessionDep, actor: CurrentActor
    ) -> Any:
        async with session.begin():
            record = await load_visible(session, spec, record_id, actor)
            shown = await present(spec, session, record, actor)
        respond(response, record)
        return shown

    @router.patch("/{id}", response_model=Read, name=f"update_{spec.name}")
    async def patch(
        record_id: IdPath,
        changes: Annotated[dict[str, Any], Body(media_type="application/merge-patch+json")],
        response: Response,
        session: SessionDep,
        actor: CurrentActor,
        runtime: RuntimeDep,
        if_match: IfMatch = None,
    ) -> Any:
        context = WriteContext(session=session, actor=actor, outbox=runtime.outbox)
        async with session.begin():
            record = await load_visible(session, spec, record_id, actor)
            require_write_role(spec, actor, update=True)
            before = editable_document(spec, record)
            merged = merge_patch(Create.model_validate(before).model_dump(mode="json"), changes)
            try:
                document = Create.model_validate(merged)
            except ValidationError as exc:
                raise body_validation_error(exc) from exc
            for name in spec.immutable:
                if getattr(document, name) != getattr(record, name):
                    raise ImmutableField(
                        detail=name,
                        errors=[
                            {"loc": ["body", name], "msg": "cannot be changed", "type": "immutable"}
                        ],
                    )
            columns = await spec.prepare(context, document, record)
            previous = spec.model.model_validate(record, from_attributes=True)
            await update_versioned(session, record, columns, if_match=if_match)
            await record_event(context, spec, record, "updated", previous)
            shown = await present(spec, session, record, actor)
        respond(response, record)
        return shown

    @router.delete("/{id}", status_code=204, name=f"delete_{spec.name}")
    async def delete(
        record_id: IdPath,
        session: SessionDep,
        actor: CurrentActor,
        runtime: RuntimeDep,
        if_match: IfMatch = None,
    ) -> Response:
        context = WriteContext(session=session, actor=actor, outbox=runtime.outbox)
        async with session.begin():
            record = await load_visible(session, spec, record_id, actor)
            require_write_role(spec, actor)
            for model, column in spec.dependents:
                count = (
                    await session.exec(
                        select(func.count())
                        .select_from(model)
                        .where(
                            getattr(model, column) == record.id,
                            model.deleted_at.is_(None),  # type: ignore[union-attr]
                        )
                    )
                ).one()
                if count:
                    raise HasDependents(detail=f"{count} live {model.__tablename__} under it")
            await update_versioned(session, record, {"deleted_at": utcnow()}, if_match=if_match)
            await record_event(context, spec, record, "deleted")
        return Response(status_code=204)

    return router
