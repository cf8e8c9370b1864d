"""A time-ordered DuckDB copy of the records that have a primary topic, joined once to their enrichment.

Pain points and emerging issues read records joined to enrichments on `record_id`. On 10M records that
join dominates (both tables' VARCHAR keys are read and hashed in full, and a 30-day window's rows are
spread over every row group of `records`). `metrics_topic_facts` holds the result of
`cxloop.metrics.painpoints.topic_relation` itself (the same Ibis expression, compiled to SQL), sorted by
`occurred_at`, so a window reads only its own row groups (DuckDB skips the others by their min/max).

It is derived data: `refresh_topic_facts` rebuilds it when its key no longer matches the source tables
(row count and latest update of `records`, of `enrichments`, and of `ingest_batches`, whose every ingest
is followed by identity resolution that may change `customer_id`). Readers use it only while the key
matches, otherwise they run the join: a stale copy costs speed, never correctness. It is created on the
first refresh (no migration: nothing else depends on it, and it can be dropped at any time).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import duckdb
import ibis

from cxloop.app.lake import require_local
from cxloop.app.workspace import Workspace
from cxloop.engines import DuckDBEngine
from cxloop.errors import WorkspaceError
from cxloop.metrics import painpoints as pp
from cxloop.metrics.relations import Sources
from cxloop.store import first_row, transaction

__all__ = ["FACTS_TABLE", "facts_current", "facts_key", "refresh_topic_facts"]

FACTS_TABLE = "metrics_topic_facts"
_STATE_TABLE = "metrics_topic_facts_state"
_VERSION = 1  # bump when the columns or the defining expression change
_KEY_SQL = (
    "SELECT (SELECT count(*) FROM records), (SELECT max(updated_at) FROM records)::VARCHAR, "
    "(SELECT count(*) FROM enrichments), (SELECT max(enriched_at) FROM enrichments)::VARCHAR, "
    "(SELECT count(*) FROM ingest_batches), "
    "(SELECT max(coalesce(finished_at, started_at)) FROM ingest_batches)::VARCHAR"
)


def facts_key(con: duckdb.DuckDBPyConnection) -> str:
    """The state of the source tables the copy was built from (cheap: counts and maxima come from
    DuckDB's column statistics)."""
    row = first_row(con.execute(_KEY_SQL))
    return json.dumps([_VERSION, *(row or ())])


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name IN (?, ?)", [FACTS_TABLE, _STATE_TABLE]
    ).fetchall()
    return {r[0] for r in rows}


def facts_current(ws: Workspace) -> bool:
    """True when `metrics_topic_facts` exists and was built from the tables as they are now."""
    if _tables(ws.con) != {FACTS_TABLE, _STATE_TABLE}:
        return False
    row = first_row(ws.con.execute(f"SELECT key FROM {_STATE_TABLE}"))
    return row is not None and row[0] == facts_key(ws.con)


def _read_only(con: duckdb.DuckDBPyConnection) -> bool:
    row = first_row(con.execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ))
    return bool(row and row[0])


def _defining_sql(ws: Workspace) -> str:
    eng = DuckDBEngine(ws.con)
    src = Sources(
        records=eng.table("records"), events=eng.table("events"), enrichments=eng.table("enrichments"),
        taxonomy=eng.table("taxonomy"), has_enrichments=True,
    )
    return str(ibis.to_sql(pp.topic_relation(src, {}), dialect="duckdb"))


def refresh_topic_facts(ws: Workspace, *, force: bool = False) -> dict[str, Any]:
    """Rebuild `metrics_topic_facts` unless it is current: `{"table", "rows", "reused", "seconds"}`."""
    require_local(ws, "facts refresh")
    t0 = time.perf_counter()
    if not force and facts_current(ws):
        row = first_row(ws.con.execute(f"SELECT count(*) FROM {FACTS_TABLE}"))
        return {"table": FACTS_TABLE, "rows": int(row[0]) if row else 0, "reused": True,
                "seconds": time.perf_counter() - t0}
    if _read_only(ws.con):
        raise WorkspaceError("the workspace is open read-only; refreshing the topic facts writes to it")
    key = facts_key(ws.con)
    con = ws.con
    with transaction(con):
        con.execute(
            f"CREATE OR REPLACE TABLE {FACTS_TABLE} AS SELECT * FROM ({_defining_sql(ws)}) ORDER BY occurred_at"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE {_STATE_TABLE} (key VARCHAR NOT NULL, rows BIGINT NOT NULL, "
            "built_at TIMESTAMP NOT NULL)"
        )
        row = first_row(con.execute(f"SELECT count(*) FROM {FACTS_TABLE}"))
        rows = int(row[0]) if row else 0
        now = datetime.now(UTC).replace(tzinfo=None)
        con.execute(f"INSERT INTO {_STATE_TABLE} VALUES (?, ?, ?)", [key, rows, now])
    return {"table": FACTS_TABLE, "rows": rows, "reused": False, "seconds": time.perf_counter() - t0}
