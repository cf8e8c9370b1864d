"""Routes of ingestion: sources, batches, rejects, and ingest by upload or JSON rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from cxloop.access import Permission
from cxloop.api.auth import access, state_of
from cxloop.api.problems import ERROR_RESPONSES
from cxloop.app.ingest_service import list_rejects
from cxloop.app.ingest_upload import ingest_rows, ingest_upload, list_batches, list_sources, parse_maps
from cxloop.app.workspace import Workspace

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["ingest"])

Reader = Annotated[Workspace, Depends(access(Permission.ingest_read))]
Writer = Annotated[Workspace, Depends(access(Permission.ingest_write))]
Opt = str | None


class IngestRows(BaseModel):
    """JSON rows to ingest, with the options `cxloop ingest` takes."""

    model_config = ConfigDict(extra="forbid")

    rows: list[dict[str, Any]] = Field(min_length=1, max_length=100_000)
    source: str | None = None
    channel: str | None = None
    kind: str | None = None
    map: dict[str, str] = Field(default_factory=dict, description="canonical field -> column of the rows")
    date_format: str | None = None
    timezone: str | None = None


@router.get("/sources", summary="Source profiles and sources seen, with their batches")
def sources(ws: Reader) -> dict[str, Any]:
    return {"sources": list_sources(ws)}


@router.get("/batches", summary="Ingest batches, newest first")
def batches(ws: Reader, source: Opt = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    return {"batches": list_batches(ws, source=source, limit=limit)}


@router.get("/rejects", summary="Rejected rows with file, row, field and reason")
def rejects(ws: Reader, batch: Opt = None, limit: Annotated[int, Query(ge=1, le=10000)] = 1000) -> dict[str, Any]:
    return {"rejects": list_rejects(ws, batch=batch, limit=limit)}


@router.post("/ingest", summary="Ingest an uploaded export (multipart): the counts `cxloop ingest` prints")
def ingest_file(
    request: Request, ws: Writer, file: Annotated[UploadFile, File(description="CSV/TSV, XLSX, JSONL, Parquet, XES")],
    source: Annotated[Opt, Form()] = None, channel: Annotated[Opt, Form()] = None, kind: Annotated[Opt, Form()] = None,
    map: Annotated[list[str] | None, Form(description="FIELD=COLUMN, repeatable")] = None,
    encoding: Annotated[Opt, Form()] = None, date_format: Annotated[Opt, Form()] = None,
    input_format: Annotated[Opt, Form()] = None, timezone: Annotated[Opt, Form()] = None,
) -> dict[str, Any]:
    options = {"source": source, "channel": channel, "kind": kind, "map": parse_maps(map or []),
               "encoding": encoding, "date_format": date_format, "format": input_format, "timezone": timezone}
    state = state_of(request)
    result = ingest_upload(ws, file.filename or "upload", file.file, options, limit=state.settings.max_upload_bytes)
    state.last_index_check = 0.0  # the next search rebuilds the index
    return result


@router.post("/ingest/rows", summary="Ingest JSON rows: the counts `cxloop ingest` prints")
def ingest_json(request: Request, body: IngestRows, ws: Writer) -> dict[str, Any]:
    state = state_of(request)
    result = ingest_rows(ws, body.rows, body.model_dump(exclude={"rows"}), limit=state.settings.max_upload_bytes)
    state.last_index_check = 0.0  # the next search rebuilds the index
    return result
