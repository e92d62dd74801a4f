"""`POST /api/v1/imports?community_id=…&kind=…` with a CSV body: all rows or none.

Answers: 201 with the new ids; 415 for a body that is not text/csv; 422 for bytes that are not
UTF-8, a header that does not fit the kind, or bad rows (every one listed, nothing written);
413 above `MAX_ROWS`; 404 when the community is not visible to the caller (as a read would);
403 when the caller's role may not create the resource.
"""

from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel

from firesafe_kit.app import api_router
from firesafe_kit.auth.dependencies import CurrentActor
from firesafe_kit.crud.router import load_visible, record_event, require_write_role
from firesafe_kit.crud.spec import WriteContext
from firesafe_kit.deps import RuntimeDep, SessionDep
from firesafe_kit.http.problems import Text
from registry.imports.csv_rows import MAX_ROWS, decode, read_table
from registry.imports.kinds import KINDS, KindName
from registry.imports.problems import BadFile, NotCsv
from registry.imports.validation import check_header, validate_rows
from registry.resources.tree import COMMUNITIES

router = api_router("/imports", tags=["imports"])


class ImportResult(BaseModel):
    kind: KindName
    community_id: str
    created: int
    ids: list[str]


def ensure_csv(content_type: str | None) -> None:
    """text/csv, in UTF-8 when a charset is named."""
    media, *params = (part.strip() for part in (content_type or "").split(";"))
    if media.lower() != "text/csv":
        raise NotCsv(content_type)
    for param in params:
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise NotCsv(content_type)


_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "CSV in UTF-8 (BOM allowed); line 1 is the header: API field names or the Chinese "
            f"aliases of registry.imports.csv_rows. At most {MAX_ROWS} rows."
        ),
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.post(
    "",
    status_code=201,
    response_model=ImportResult,
    name="import_rows",
    summary="Import compounds, buildings, stations or key residents of a community from CSV",
    openapi_extra=_CSV_BODY,
)
async def import_rows(
    request: Request,
    community_id: Annotated[str, Query(min_length=1, max_length=36)],
    kind: Annotated[KindName, Query()],
    session: SessionDep,
    actor: CurrentActor,
    runtime: RuntimeDep,
) -> ImportResult:
    ensure_csv(request.headers.get("content-type"))
    table = read_table(decode(await request.body()))
    importer = KINDS[kind]
    check_header(importer, table)
    if not table.rows and not table.broken:
        raise BadFile(Text("文件只有表头，没有数据行", "The file has a header but no rows"), line=2)
    spec = importer.spec
    events = runtime.outbox.buffered()
    context = WriteContext(session=session, actor=actor, outbox=events)
    async with session.begin():
        await load_visible(session, COMMUNITIES, community_id, actor)
        require_write_role(spec, actor)
        prepared = await validate_rows(session, actor, importer, community_id, table)
        records = [spec.model(**values) for values in prepared]
        session.add_all(records)
        await session.flush()
        for record in records:
            await record_event(context, spec, record, "created")
        await events.write(session)
    return ImportResult(
        kind=kind, community_id=community_id, created=len(records), ids=[r.id for r in records]
    )
