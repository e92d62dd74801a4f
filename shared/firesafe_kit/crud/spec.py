"""What a service says about one resource so that the generic router can serve it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from firesafe_kit.auth.actor import Actor
from firesafe_kit.crud.records import Record
from firesafe_kit.events.outbox import OutboxWriter

Verb = Literal["created", "updated", "deleted"]
PAGING = frozenset({"limit", "cursor"})


class ListQuery(BaseModel):
    """Base of a resource's list filters. Paging lives here too: FastAPI gives a query model
    every query parameter, and unknown ones are an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    limit: int = Field(default=50, ge=1, le=200, description="page size (1–200)")
    cursor: str | None = Field(default=None, max_length=2048, description="from next_cursor")


@dataclass(frozen=True)
class WriteContext:
    """Everything a write hook may need: the open session, who acts, where events go."""

    session: AsyncSession
    actor: Actor
    outbox: OutboxWriter


# (session, validated input, the record before the change or None) -> column values.
# Raises the service's 422/409 errors for references that do not exist, are not visible, or
# break a rule that spans more than one field.
Prepare = Callable[[WriteContext, Any, Any], Awaitable[dict[str, Any]]]
# After the row is written, in the same transaction: extra events, projections.
AfterWrite = Callable[[WriteContext, Any, Any, Verb], Awaitable[None]]
# The read shape for this actor (masking, audit of unmasked reads).
Present = Callable[[AsyncSession, Any, Actor], Awaitable[BaseModel]]
# Rows the actor may see, as a WHERE condition; None means every row.
Visibility = Callable[[AsyncSession, Actor], Awaitable[ColumnElement[bool] | None]]


@dataclass(frozen=True)
class ResourceSpec:
    name: str  # singular, for event types: firesafe.<service>.<name>.<verb>
    path: str  # "/communities"
    model: type[Record]
    create: type[BaseModel]  # also validates the merged document of a PATCH
    read: type[BaseModel]
    filters: type[ListQuery]  # query parameters; equality on the model's column of that name
    write_roles: frozenset[str]  # create and delete
    # The tree node that governs reading and changing a record: its own id for a node of the
    # tree, its community for the rest. (Where a new record may go is `prepare`'s to check.)
    own_scope: Callable[[Any], str]
    partition_key: Callable[[Any], str]
    event_data: Callable[[Any], dict[str, Any]]  # never personal data
    visibility: Visibility
    prepare: Prepare
    present: Present | None = None
    after_write: AfterWrite | None = None
    update_roles: frozenset[str] | None = None  # PATCH; defaults to write_roles
    immutable: Sequence[str] = ()  # fields a PATCH may not change (moves between parents)
    dependents: Sequence[tuple[type[Record], str]] = ()  # (model, column): block a delete
    tag: str = ""
    summary: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
