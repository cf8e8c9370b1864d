"""The data page: sources, batches and rejects with their reasons; and the upload flow (upload an export,
map its columns with a preview of the first rows and of what would be rejected, then ingest)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import URL

from cxloop.access import Permission
from cxloop.api.auth import state_of
from cxloop.app.ingest_preview import guess_map, keep_upload, preview_upload, upload_path
from cxloop.app.ingest_service import list_rejects
from cxloop.app.ingest_upload import ingest_path, list_batches, list_sources
from cxloop.errors import UsageError
from cxloop.model.fields import CANONICAL_FIELDS
from cxloop.web.context import Page, form_page, page, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Page, Depends(page(Permission.ingest_read))]
Writer = Annotated[Page, Depends(form_page(Permission.ingest_write))]
Name = Annotated[str, Query(max_length=300)]
Opt = Annotated[str | None, Query(max_length=100)]
CHANNELS = ("hotline", "ivr", "chat", "email", "app", "ecommerce_review", "survey", "social", "community", "wecom",
            "store", "field_service")
KINDS = ("survey_response", "review", "ticket", "message", "call", "post", "complaint", "event")


@router.get("/data", response_class=HTMLResponse)
def data(p: Reader, batch: Opt = None) -> HTMLResponse:
    batches = list_batches(p.ws, limit=30)
    rejects = list_rejects(p.ws, batch=batch, limit=100)
    return render(p, "data.html", sources=list_sources(p.ws), batches=batches, rejects=rejects, batch=batch,
                  channels=CHANNELS, kinds=KINDS, can_write=p.principal.can(Permission.ingest_write))


@router.post("/data/upload")
def upload(p: Writer, file: Annotated[UploadFile, File()], channel: Annotated[str, Form(max_length=50)] = "app",
           kind: Annotated[str, Form(max_length=50)] = "message") -> RedirectResponse:
    limit = state_of(p.request).settings.max_upload_bytes
    name = keep_upload(p.ws, file.filename or "upload", file.file, limit=limit)
    target = URL("/data/preview").include_query_params(file=name, channel=channel, kind=kind)
    return RedirectResponse(str(target), status_code=303)


def _mapping(p: Page) -> dict[str, str]:
    return {f: v for f in CANONICAL_FIELDS if (v := p.request.query_params.get("map_" + f))}


@router.get("/data/preview", response_class=HTMLResponse)
def preview(p: Annotated[Page, Depends(page(Permission.ingest_write))], file: Name, channel: Opt = None,
            kind: Opt = None) -> HTMLResponse:
    options: dict[str, Any] = {"channel": channel, "kind": kind}
    first = preview_upload(p.ws, file, options)
    mapping = _mapping(p) or guess_map(first["columns"])
    shown = preview_upload(p.ws, file, {**options, "map": mapping}) if mapping else first
    return render(p, "preview.html", file=file, channel=channel, kind=kind, preview=shown, mapping=mapping,
                  fields=CANONICAL_FIELDS, channels=CHANNELS, kinds=KINDS)


@router.post("/data/ingest")
def ingest(p: Writer, file: Annotated[str, Form(max_length=300)], channel: Annotated[str, Form(max_length=50)],
           kind: Annotated[str, Form(max_length=50)],
           map: Annotated[list[str] | None, Form()] = None) -> RedirectResponse:
    mapping = dict(item.split("=", 1) for item in (map or []) if "=" in item and item.split("=", 1)[1])
    if not mapping:
        raise UsageError("map at least one column (text or a score) before ingesting", field="map")
    result = ingest_path(p.ws, upload_path(p.ws, file), {"channel": channel, "kind": kind, "map": mapping})
    state_of(p.request).last_index_check = 0.0  # the next search rebuilds the index
    target = URL("/data").include_query_params(batch=result["batch_id"], inserted=result.get("inserted", 0),
                                               rejected=result.get("rejected", 0))
    return RedirectResponse(str(target), status_code=303)
