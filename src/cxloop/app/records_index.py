"""`records_by_time`: a copy of the records' listing columns (and their topic and sentiment) sorted newest
first, so a search reads only the recent row groups it needs.

A records search is ordered by `occurred_at`; on `records` (in ingest order, text ZSTD-compressed) every
search reads and decompresses every text (~150 ms per million on 2 cores). On this sorted copy, DuckDB
skips row groups by their min/max `occurred_at`, so `search_windows` asks for the newest day first, then a
week, a month, four months, everything — stopping at the first window that fills the page: a common word
costs one or two row groups. Like `metrics_topic_facts` it is derived data, keyed by the state of the
tables it copies; a stale copy is never read (the search falls back to `records`), and `cxloop serve`
rebuilds it in the background when it finds it stale.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from cxloop.app.lake import is_lake
from cxloop.app.workspace import Workspace
from cxloop.store import first_row, transaction

__all__ = ["INDEX_TABLE", "SPANS", "index_current", "index_key", "newest_indexed", "refresh_records_index"]

INDEX_TABLE = "records_by_time"
_STATE = "records_by_time_state"
_VERSION = 1
SPANS = (timedelta(days=1), timedelta(days=7), timedelta(days=30), timedelta(days=120), None)
COLUMNS = ("record_id", "occurred_at", "channel", "kind", "product", "customer_id", "text", "source",
           "journey_stage", "touchpoint", "agent_id", "team", "department", "partner", "region", "phone",
           "email", "nps", "csat", "ces", "rating")
_KEY_SQL = ("SELECT (SELECT count(*) FROM records), (SELECT max(updated_at) FROM records)::VARCHAR, "
            "(SELECT count(*) FROM enrichments), (SELECT max(enriched_at) FROM enrichments)::VARCHAR")


def index_key(con: duckdb.DuckDBPyConnection) -> str:
    return json.dumps([_VERSION, *(first_row(con.execute(_KEY_SQL)) or ())])


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    row = first_row(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
        "AND table_name IN (?, ?)", [INDEX_TABLE, _STATE]))
    return bool(row and row[0] == 2)


def index_current(ws: Workspace) -> bool:
    """True when `records_by_time` was built from the records and enrichments as they are now."""
    if not _exists(ws.con):
        return False
    row = first_row(ws.con.execute(f"SELECT key FROM {_STATE}"))
    return row is not None and row[0] == index_key(ws.con)


def newest_indexed(ws: Workspace) -> datetime | None:
    """The latest `occurred_at` in the index (where a newest-first search starts)."""
    row = first_row(ws.con.execute(f"SELECT max(occurred_at) FROM {INDEX_TABLE}"))
    return row[0] if row else None


def refresh_records_index(ws: Workspace, *, force: bool = False) -> dict[str, Any]:
    """Rebuild `records_by_time` unless current: `{"table", "rows", "reused", "seconds"}`."""
    if is_lake(ws):  # the index copies the embedded records; a lake's records are searched nowhere yet
        return {"table": INDEX_TABLE, "rows": 0, "reused": True, "seconds": 0.0}
    t0 = time.perf_counter()
    con = ws.con
    if not force and index_current(ws):
        row = first_row(con.execute(f"SELECT count(*) FROM {INDEX_TABLE}"))
        return {"table": INDEX_TABLE, "rows": int(row[0]) if row else 0, "reused": True,
                "seconds": time.perf_counter() - t0}
    cols = ", ".join(f"r.{c}" for c in COLUMNS)
    with transaction(con):  # the key and the copy read the same snapshot
        key = index_key(con)
        con.execute(
            f"CREATE OR REPLACE TABLE {INDEX_TABLE} AS SELECT {cols}, e.topic_id, e.sentiment FROM records r "
            "LEFT JOIN enrichments e USING (record_id) ORDER BY r.occurred_at DESC, r.record_id DESC"
        )
        con.execute(f"CREATE OR REPLACE TABLE {_STATE} (key VARCHAR NOT NULL, built_at TIMESTAMP NOT NULL)")
        con.execute(f"INSERT INTO {_STATE} VALUES (?, ?)", [key, datetime.now(UTC).replace(tzinfo=None)])
    row = first_row(con.execute(f"SELECT count(*) FROM {INDEX_TABLE}"))
    return {"table": INDEX_TABLE, "rows": int(row[0]) if row else 0, "reused": False,
            "seconds": time.perf_counter() - t0}
