"""Routes over the data: status, records (search and one by id), customers and their timelines."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from cxloop.access import Permission
from cxloop.api.auth import access, state_of
from cxloop.api.problems import ERROR_RESPONSES
from cxloop.app import journeys_service as journeys
from cxloop.app.access import scoped_status
from cxloop.app.customers_service import show_customer
from cxloop.app.records_index import index_current
from cxloop.app.records_service import SORTS, RecordQuery, get_record, search_records
from cxloop.app.workspace import Workspace

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)

Ws = Workspace
Opt = str | None
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size (1-1000).")]
SortParam = Annotated[str, Query(pattern="^-?occurred_at$", description=f"One of {', '.join(SORTS)}.")]


@router.get("/status", summary="Counts of records, events, customers (batches and rejects: ingest rights)",
            tags=["data"])
def status(ws: Annotated[Ws, Depends(access(Permission.status_read))]) -> dict[str, Any]:
    return scoped_status(ws)


@router.get("/records", summary="Search records: full text (zh/en), filters, cursor pages", tags=["data"])
def records(
    request: Request,
    ws: Annotated[Ws, Depends(access(Permission.records_read))],
    q: Annotated[Opt, Query(max_length=200, description="Words that must all occur in the text.")] = None,
    channel: Opt = None, kind: Opt = None, product: Opt = None, source: Opt = None, region: Opt = None,
    department: Opt = None, partner: Opt = None, agent_id: Opt = None,
    topic: Opt = None, sentiment: Opt = None,
    customer: Annotated[Opt, Query(description="A customer id or any identifier (phone, e-mail...).")] = None,
    since: Annotated[Opt, Query(description="ISO date/time or a span back from the latest record (30d).")] = None,
    until: Annotated[Opt, Query(description="ISO date/time (exclusive).")] = None,
    sort: SortParam = "-occurred_at", limit: Limit = 50, cursor: Opt = None,
) -> dict[str, Any]:
    filters = {k: v for k, v in (("channel", channel), ("kind", kind), ("product", product), ("source", source),
                                 ("region", region), ("department", department), ("partner", partner),
                                 ("agent_id", agent_id)) if v is not None}
    query = RecordQuery(q=q, filters=filters, topic=topic, sentiment=sentiment, customer=customer, since=since,
                        until=until, sort=sort, limit=limit, cursor=cursor)
    state = state_of(request)
    indexed = state.cached(ws, "records_index.current", {}, lambda: index_current(ws))
    if not indexed:
        state.keep_index_fresh()
    return search_records(ws, query, indexed=indexed)


@router.get("/records/{record_id}", summary="One record with its raw row and enrichment", tags=["data"])
def record(record_id: str, ws: Annotated[Ws, Depends(access(Permission.records_read))]) -> dict[str, Any]:
    return get_record(ws, record_id)


@router.get("/customers/{identifier}", summary="A customer behind any identifier", tags=["data"])
def customer(identifier: str, ws: Annotated[Ws, Depends(access(Permission.customers_read))]) -> dict[str, Any]:
    return show_customer(ws, identifier)


@router.get("/customers/{identifier}/timeline", summary="A customer's timeline across channels", tags=["data"])
def timeline(identifier: str, ws: Annotated[Ws, Depends(access(Permission.customers_read))]) -> dict[str, Any]:
    return journeys.timeline(ws, identifier)
