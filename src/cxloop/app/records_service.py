"""Records: full-text search (Chinese and English) with filters, keyset (cursor) pagination and sorting,
and one record by id — scoped and masked for the principal (`app.access`).

Search terms are split on white space and all must occur in the text (case-insensitive substring match,
which suits Chinese with no word boundaries and English alike). Pages are keyset pages: the cursor is the
sort key of the page's last row, so a page never repeats or skips a row when rows are added meanwhile.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from cxloop.app.access import mask_rows, scoped_sql
from cxloop.app.lake import require_local
from cxloop.app.records_index import INDEX_TABLE, SPANS, index_current
from cxloop.app.workspace import Workspace
from cxloop.errors import NotFound, UsageError
from cxloop.store import first_row

__all__ = ["LIST_COLUMNS", "SORTS", "RecordQuery", "get_record", "search_records"]

LIST_COLUMNS = ("record_id", "occurred_at", "channel", "kind", "product", "customer_id", "text", "source",
                "journey_stage", "touchpoint", "agent_id", "team", "department", "partner", "region", "phone",
                "email", "nps", "csat", "ces", "rating")
SORTS = {"-occurred_at": ("occurred_at", "DESC"), "occurred_at": ("occurred_at", "ASC")}
_FILTERS = ("channel", "kind", "product", "source", "department", "partner", "region", "agent_id")
_WINDOW = " /*window*/"
_SPAN = re.compile(r"^(\d+)\s*([hdw])$")


@dataclass
class RecordQuery:
    """A records search: `q` terms, exact-value filters, a time range, sort, page size and cursor."""

    q: str | None = None
    filters: dict[str, str] = field(default_factory=dict)  # channel, kind, product, source, ...
    topic: str | None = None
    sentiment: str | None = None
    customer: str | None = None
    since: str | None = None
    until: str | None = None
    sort: str = "-occurred_at"
    limit: int = 50
    cursor: str | None = None


def _encode_cursor(sort: str, at: datetime, record_id: str) -> str:
    raw = json.dumps([sort, at.isoformat(), record_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        s, at, record_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if s != sort:
            raise ValueError("sort changed")
        return datetime.fromisoformat(at), str(record_id)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"cursor {cursor[:40]!r} is not a cursor of this search (sort {sort})",
                         field="cursor") from exc


def _time(ws: Workspace, value: str, name: str, latest: datetime | None) -> datetime:
    """An ISO date/time (naive: the workspace's timezone) or a span (`30d`) back from the latest record."""
    match = _SPAN.match(value.strip())
    if match:
        unit = {"h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
        return (latest or datetime.now(UTC).replace(tzinfo=None)) - timedelta(**{unit: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{name}={value!r}: use an ISO date or time (2026-09-01, 2026-09-01T08:00+08:00) "
                         "or a span such as 30d", field=name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(ws.settings.timezone))
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _where(ws: Workspace, base: str, query: RecordQuery, indexed: bool) -> tuple[list[str], list[Any]]:
    preds: list[str] = []
    params: list[Any] = []
    for term in (query.q or "").split():
        # a term without letters that have case (Chinese, digits) is a plain substring search: 5x faster
        # than ILIKE, which folds the case of every text
        if term.lower() == term.upper():
            preds.append("contains(r.text, ?)")
            params.append(term)
        else:
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            preds.append("r.text ILIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
    for name, value in query.filters.items():
        if name not in _FILTERS:
            raise UsageError(f"unknown filter {name!r}; filters are: {', '.join(_FILTERS)}", field=name)
        preds.append(f"r.{name} = ?")
        params.append(value)
    if query.customer:
        from cxloop.app.customers_service import find_customer_id

        preds.append("r.customer_id = ?")
        params.append(find_customer_id(ws, query.customer))
    for column, wanted in (("topic_id", query.topic), ("sentiment", query.sentiment)):
        if wanted:
            preds.append(f"r.{column} = ?" if indexed else
                         f"r.record_id IN (SELECT record_id FROM enrichments WHERE {column} = ?)")
            params.append(wanted)
    if query.since or query.until:
        row = first_row(ws.con.execute(f"SELECT max(occurred_at) FROM {base}"))
        latest = row[0] if row else None
        for name, bound, op in (("since", query.since, ">="), ("until", query.until, "<")):
            if bound:
                preds.append(f"r.occurred_at {op} ?")
                params.append(_time(ws, bound, name, latest))
    return preds, params


def _enrichment_of(ws: Workspace, ids: list[str]) -> dict[str, tuple[Any, Any]]:
    if not ids:
        return {}
    rows = ws.con.execute(
        "SELECT record_id, topic_id, sentiment FROM enrichments WHERE record_id IN (SELECT unnest(?))", [ids]
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _page(ws: Workspace, sql: str, params: list[Any], column: str, direction: str, anchor: datetime | None,
          want: int) -> list[tuple[Any, ...]]:
    """Rows of `sql` (ending in ORDER BY ... LIMIT ?), asked window by window from `anchor` outwards on the
    time-sorted index (see `records_index`): the first window holding a full page is the answer."""
    if anchor is None:
        return ws.con.execute(sql.replace(_WINDOW, ""), [*params, want]).fetchall()
    op = ">=" if direction == "DESC" else "<="
    for span in SPANS:
        if span is None:
            return ws.con.execute(sql.replace(_WINDOW, ""), [*params, want]).fetchall()
        bound = anchor - span if direction == "DESC" else anchor + span
        windowed = sql.replace(_WINDOW, f" AND r.{column} {op} ?")
        rows = ws.con.execute(windowed, [*params, bound, want]).fetchall()
        if len(rows) >= want:
            return rows
    raise AssertionError("unreachable: the last window is unbounded")  # pragma: no cover


def _anchor(ws: Workspace, column: str, direction: str, cursor_at: datetime | None,
            newest: datetime | None) -> datetime | None:
    if cursor_at is not None:
        return cursor_at
    if direction == "DESC" and newest is not None:
        return newest
    row = first_row(ws.con.execute(f"SELECT {'max' if direction == 'DESC' else 'min'}({column}) FROM {INDEX_TABLE}"))
    return row[0] if row else None


def search_records(ws: Workspace, query: RecordQuery, *, indexed: bool | None = None,
                   newest: datetime | None = None) -> dict[str, Any]:
    """`{"records": [{record_id, occurred_at, channel, kind, product, customer_id, text, ...}], "next_cursor"}`.

    `indexed`: whether the search index is current, when the caller knows (a server remembers it until its
    data changes); None checks (a few ms on a million records). `newest`: the index's latest `occurred_at`,
    when the caller knows it (`records_index.newest_indexed`)."""
    require_local(ws, "searching records")
    indexed = index_current(ws) if indexed is None else indexed
    if indexed:
        try:
            return _search(ws, query, True, newest)
        except (duckdb.CatalogException, duckdb.TransactionException):
            pass  # the index was being rebuilt under this request: the records table answers the same
    return _search(ws, query, False, None)


def _search(ws: Workspace, query: RecordQuery, indexed: bool, newest: datetime | None) -> dict[str, Any]:
    if query.sort not in SORTS:
        raise UsageError(f"sort={query.sort!r}: use one of {', '.join(SORTS)}", field="sort")
    if query.limit < 1:
        raise UsageError("limit must be at least 1", field="limit")
    column, direction = SORTS[query.sort]
    base = scoped_sql(ws, INDEX_TABLE if indexed else "records")
    preds, params = _where(ws, base, query, indexed)
    cursor_at = None
    if query.cursor:
        cursor_at, rid = _decode_cursor(query.cursor, query.sort)
        op = "<" if direction == "DESC" else ">"
        preds.append(f"(r.{column} {op} ? OR (r.{column} = ? AND r.record_id {op} ?))")
        params += [cursor_at, cursor_at, rid]
    extra = ", r.topic_id, r.sentiment" if indexed else ""
    cols = ", ".join(f"r.{c}" for c in LIST_COLUMNS) + extra
    where = " AND ".join(["TRUE", *preds])
    sql = (f"SELECT {cols} FROM {base} r WHERE {where}{_WINDOW} "
           f"ORDER BY r.{column} {direction}, r.record_id {direction} LIMIT ?")
    anchor = _anchor(ws, column, direction, cursor_at, newest) if indexed else None
    rows = _page(ws, sql, params, column, direction, anchor, query.limit + 1)
    more = len(rows) > query.limit
    keys = (*LIST_COLUMNS, "topic_id", "sentiment") if indexed else LIST_COLUMNS
    records = [dict(zip(keys, r, strict=True)) for r in rows[: query.limit]]
    if not indexed:
        enriched = _enrichment_of(ws, [r["record_id"] for r in records])
        for r in records:
            r["topic_id"], r["sentiment"] = enriched.get(r["record_id"], (None, None))
    last = records[-1] if more and records else None
    return {
        "records": mask_rows(ws, records, texts=("text",), what="records"),
        "next_cursor": _encode_cursor(query.sort, last[column], last["record_id"]) if last else None,
    }


def get_record(ws: Workspace, record_id: str) -> dict[str, Any]:
    """One record with its raw row, attributes and enrichment; NotFound when missing or out of scope."""
    require_local(ws, "reading a record")
    cols = (*LIST_COLUMNS, "account", "openid", "device", "customer_ref", "session_id", "case_id", "batch_id",
            "attributes", "raw")
    base = scoped_sql(ws, "records")
    row = first_row(ws.con.execute(
        f"SELECT {', '.join('r.' + c for c in cols)} FROM {base} r WHERE r.record_id = ?", [record_id]
    ))
    if row is None:
        raise NotFound(f"no record {record_id!r}", field="record_id")
    out = dict(zip(cols, row, strict=True))
    for key in ("attributes", "raw"):
        out[key] = json.loads(out[key]) if out[key] else None
    keys = ("language", "sentiment", "sentiment_score", "emotion", "topic_id", "topics", "faq_id", "model_version")
    found = first_row(ws.con.execute(f"SELECT {', '.join(keys)} FROM enrichments WHERE record_id = ?", [record_id]))
    out["enrichment"] = dict(zip(keys, found, strict=True)) if found else None
    if out["enrichment"] and out["enrichment"]["topics"]:
        out["enrichment"]["topics"] = json.loads(out["enrichment"]["topics"])
    return mask_rows(ws, [out], texts=("text", "raw", "attributes"), what=f"record {record_id}")[0]
