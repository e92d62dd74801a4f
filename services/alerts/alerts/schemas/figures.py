"""Open alerts per community of a scope: what the gateway's scorecards read in one call."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from firesafe_kit.crud.spec import ListQuery


class FiguresQuery(ListQuery):
    district_id: str | None = Field(default=None, max_length=36)
    street_id: str | None = Field(default=None, max_length=36)
    community_id: str | None = Field(default=None, max_length=36)
    limit: int = Field(default=1000, ge=1, le=1000, description="page size (1–1000)")

    @model_validator(mode="after")
    def _one_scope(self) -> FiguresQuery:
        given = [v for v in (self.district_id, self.street_id, self.community_id) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of district_id, street_id, community_id")
        return self


class CommunityAlertFigures(BaseModel):
    community_id: str
    open: int = Field(description="unresolved alerts (open or acknowledged)")
    open_critical: int
    escalated: int = Field(description="unresolved alerts above community level")
    open_by_kind: dict[str, int] = Field(description="unresolved alerts per kind")


class FiguresPage(BaseModel):
    items: list[CommunityAlertFigures]
    next_cursor: str | None = None
