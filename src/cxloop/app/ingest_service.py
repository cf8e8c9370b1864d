"""Ingest one export as one atomic batch: read, stage (map/parse/validate/hash), write, link identities.

A batch is one DuckDB transaction: a crash, a kill or Ctrl-C mid-file leaves the workspace as it was.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxloop.app.access import mask_rows
from cxloop.app.identity_service import BatchIdentities, resolve_identities
from cxloop.app.workspace import Workspace
from cxloop.config import SourceProfile
from cxloop.errors import UsageError
from cxloop.ingest.connectors import ReadResult, detect_format, read_export
from cxloop.ingest.plan import (
    XES_MAPPING,
    PlanContext,
    bad_rows_sql,
    bad_rows_table,
    beside_file,
    plan_staging,
    rejects_sql,
)
from cxloop.ingest.timing import Stopwatch
from cxloop.ingest.transform import StagingPlan, raw_sql, staged_fields, staging_sql, written_sql
from cxloop.model.fields import IDENTIFIER_FIELDS
from cxloop.store import first_row, registered, transaction

__all__ = ["XES_MAPPING", "Stopwatch", "ingest", "plan_context", "resolve_profile"]

_EVENT_DROP = {"text", "nps", "csat", "ces", "rating"}


def _log_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".xes", ".csv", ".tsv", ".jsonl", ".parquet", ".xlsx"):
        name = name.removesuffix(suffix)
    return name


def resolve_profile(
    ws: Workspace, source: str | None, profile: SourceProfile | None, path: Path | None = None
) -> tuple[str, SourceProfile]:
    """The (source name, profile) of an ingest: a named profile, an ad-hoc one from CLI flags, or, for an
    XES log, the standard XES mapping (source named after the file unless given)."""
    is_xes = path is not None and detect_format(path, profile.format if profile else None) == "xes"
    if profile is None and is_xes and (source is None or source not in ws.settings.sources):
        profile = SourceProfile(kind="event")
    if profile is None:
        if source is None:
            raise UsageError("name a source profile with --source, or map columns ad hoc with --map/--channel")
        if source not in ws.settings.sources:
            known = ", ".join(sorted(ws.settings.sources)) or "none"
            raise UsageError(
                f"no source profile {source!r} in {ws.root / 'cxloop.toml'}; profiles: {known}; "
                "or give --map/--channel for an ad-hoc ingest"
            )
        profile = ws.settings.sources[source]
    name = source or profile.channel or (_log_name(path) if path is not None else None)
    if not name:
        raise UsageError("an ad-hoc ingest needs --source or --channel")  # pragma: no cover - path is known
    return name, profile


def _plan(ws: Workspace, source: str, profile: SourceProfile, fmt: str, read: ReadResult, file: str) -> StagingPlan:
    return plan_staging(plan_context(ws, source, profile), profile, fmt, read, file)


def plan_context(ws: Workspace, source: str, profile: SourceProfile) -> PlanContext:
    """The source's timezone (its profile's, else the workspace's) and the salt when identifiers are hashed."""
    return PlanContext(source=source, timezone=profile.timezone or ws.settings.source_timezone(source),
                       salt=ws.salt if ws.settings.identity.hash_identifiers else None)


def ingest(
    ws: Workspace,
    path: Path,
    *,
    source: str | None = None,
    profile: SourceProfile | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Ingest `path` as one batch; return its counts (they add up to rows_read).

    `timings`, when given, receives the seconds spent per stage (read, plan, stage, batch, rejects, judge,
    identity, write, commit) for benchmarks and profiling; it is not part of the returned counts.
    """
    clock = Stopwatch(timings)
    path = Path(path)
    source, profile = resolve_profile(ws, source, profile, path)
    fmt = detect_format(path, profile.format)
    with clock("read"):
        read = read_export(path, fmt=fmt, encoding=profile.encoding, delimiter=profile.delimiter, sheet=profile.sheet)
    with clock("plan"):
        plan = _plan(ws, source, profile, fmt, read, str(path))
    now = datetime.now(UTC).replace(tzinfo=None)
    batch_id = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    con = ws.con
    with registered(con, "src", read.table), transaction(con):
        with clock("stage"):
            staged = _stage(con, plan, read.table)
        with registered(con, "stage", staged):
            counts = _write_batch(ws, (source, str(path), batch_id, now), read, profile, (plan, staged), clock)
        with clock("commit"):
            con.execute("DROP TABLE IF EXISTS judged")
    return {"batch_id": batch_id, **counts}


def _stage(con: duckdb.DuckDBPyConnection, plan: StagingPlan, table: pa.Table) -> pa.Table:
    """The staged rows (`staging_sql`) in file order, with the file's own columns beside them (see
    `cxloop.ingest.plan.beside_file`)."""
    return beside_file(con.sql(staging_sql(plan)).to_arrow_table(), plan, table)


# DuckDB settings for the bulk insert of a batch's rows, restored afterwards:
# - preserve_insertion_order off: rows may be appended in any physical order (each row carries its file
#   position, `seq`); the order-preserving insert merged row groups on one thread (~0.25 CPU-s more per
#   million rows);
# - write_buffer_row_group_count 1: compress and write each row group as soon as it is full instead of
#   buffering five per thread; measured on 1M rows (2 cores): the insert took 1.3-1.6 s instead of 1.9-2.1 s
#   (less memory touched for the same work).
_BULK_SETTINGS = {"preserve_insertion_order": "false", "write_buffer_row_group_count": "1"}


@contextmanager
def _bulk_insert(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """`_BULK_SETTINGS` for the duration of the block."""
    names = ", ".join(f"current_setting('{name}')" for name in _BULK_SETTINGS)
    before = first_row(con.execute(f"SELECT {names}"))
    for name, value in _BULK_SETTINGS.items():
        con.execute(f"SET {name} = {value}")
    try:
        yield
    finally:
        for name, value in zip(_BULK_SETTINGS, before or (), strict=False):
            con.execute(f"SET {name} = '{value}'")


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_batch(
    ws: Workspace,
    batch: tuple[str, str, str, datetime],
    read: ReadResult,
    profile: SourceProfile,
    staging: tuple[StagingPlan, pa.Table],
    clock: Stopwatch,
) -> dict[str, int]:
    """Rejects, then judge the good rows, link identities, and write records and events."""
    source, file, batch_id, now = batch
    plan, staged = staging
    con = ws.con
    options = json.dumps(profile.model_dump(), ensure_ascii=False)
    with clock("batch"):
        con.execute(
            "INSERT INTO ingest_batches (batch_id, source, file, file_sha256, started_at, options) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [batch_id, source, file, read.sha256 or _file_digest(Path(file)), now, options],
        )
    with clock("rejects"):
        _write_rejects(ws, (source, file, batch_id), read, plan)
    with clock("judge"):
        counts, judged = _judge(con)
    fields = staged_fields(plan)
    ids = [f for f in fields if f in IDENTIFIER_FIELDS]
    keep = "s.problems IS NULL" + (_WRITTEN if judged else "")
    joined = "stage s LEFT JOIN judged j USING (seq)" if judged else "stage s"
    with clock("identity"):
        replaced = "SELECT NULL::VARCHAR AS customer_id WHERE false"
        if judged:
            replaced = _delete_replaced(con)
        rows = f"SELECT s.seq, s.occurred_at{''.join(f', s.{i}' for i in ids)} FROM {joined} WHERE {keep}"
        linked = BatchIdentities(source, rows, ids, read.table.num_rows, replaced)
        customers = resolve_identities(con, ws.settings, linked, now, plan.salt)
    routed = pc.sum(staged.column("is_event")).as_py() or 0  # rows bound for events
    with clock("write"), registered(con, "rows", _batch_rows(con, staged, customers, judged)), _bulk_insert(con):
        for table, key, is_event in (("records", "record_id", False), ("events", "event_id", True)):
            if (routed if is_event else staged.num_rows - routed):  # a scan of every row for none is ~0.1 s
                columns = [f for f in fields if f != "occurred_at" and not (is_event and f in _EVENT_DROP)]
                _insert_rows(con, (table, key, is_event), batch, plan, columns)
    rejected = read.rows_read - sum(counts.values())
    con.execute(
        "UPDATE ingest_batches SET finished_at = ?, rows_read = ?, inserted = ?, updated = ?, unchanged = ?, "
        "rejected = ? WHERE batch_id = ?",
        [datetime.now(UTC).replace(tzinfo=None), read.rows_read, counts["inserted"], counts["updated"],
         counts["unchanged"], rejected, batch_id],
    )
    return {"rows_read": read.rows_read, **counts, "rejected": rejected}


def _write_rejects(ws: Workspace, batch: tuple[str, str, str], read: ReadResult, plan: StagingPlan) -> None:
    """Rows the connector could not split, then staged rows with problems (raw from the file's cells)."""
    source, file, batch_id = batch
    con = ws.con
    if read.bad_rows:
        con.register("bad_rows", bad_rows_table(read))
        con.execute(f"INSERT INTO rejects {bad_rows_sql()} ON CONFLICT DO NOTHING", [source, batch_id, source, file])
        con.unregister("bad_rows")
    con.execute(f"INSERT INTO rejects {rejects_sql(plan)} ON CONFLICT DO NOTHING", [source, batch_id, source, file])


# a judged row is written when it is the last of its id in the file and differs from the stored row
_WRITTEN = " AND (j.seq IS NULL OR (j.is_last AND (j.db_hash IS NULL OR j.db_hash <> j.row_hash)))"


def _judge(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], int]:
    """Temp table `judged`: the good rows whose id repeats within the batch or is already stored.

    Only those need judging (a window over their rows in file order: the first is compared with the
    stored row, each later one with its predecessor, the last one is kept); every other good row is a
    plain insert, so a fresh batch costs one aggregate. Returns ({inserted, updated, unchanged}, judged).
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE judged AS
        WITH b AS (SELECT seq, id, row_hash, is_event FROM stage WHERE problems IS NULL),
        dup AS (SELECT id, is_event FROM b GROUP BY id, is_event HAVING count(*) > 1),
        hit AS (
            SELECT record_id AS id, false AS is_event, row_hash AS db_hash, ingested_at AS db_ingested_at,
                customer_id AS db_customer
            FROM records WHERE record_id IN (SELECT id FROM b WHERE NOT is_event)
            UNION ALL
            SELECT event_id, true, row_hash, ingested_at, customer_id
            FROM events WHERE event_id IN (SELECT id FROM b WHERE is_event)
        )
        , j AS (
            SELECT b.seq, b.id, b.is_event, b.row_hash, h.db_hash, h.db_ingested_at, h.db_customer,
                d.id IS NOT NULL AS repeated
            FROM b LEFT JOIN hit h ON h.id = b.id AND h.is_event = b.is_event
            LEFT JOIN dup d ON d.id = b.id AND d.is_event = b.is_event
            WHERE h.id IS NOT NULL OR d.id IS NOT NULL
        )
        -- the window only over ids repeated in the file; a stored id seen once is its own last row
        SELECT * EXCLUDE (repeated), NULL::VARCHAR AS prev_hash, true AS is_last FROM j WHERE NOT repeated
        UNION ALL
        SELECT * EXCLUDE (repeated),
            lag(row_hash) OVER (PARTITION BY is_event, id ORDER BY seq) AS prev_hash,
            row_number() OVER (PARTITION BY is_event, id ORDER BY seq DESC) = 1 AS is_last
        FROM j WHERE repeated
        """
    )
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    counts.update(con.execute(
        """
        SELECT CASE
            WHEN prev_hash IS NULL AND db_hash IS NULL THEN 'inserted'
            WHEN coalesce(prev_hash, db_hash) = row_hash THEN 'unchanged'
            ELSE 'updated' END AS status, count(*)
        FROM judged GROUP BY 1
        """
    ).fetchall())
    totals = first_row(con.execute(
        "SELECT (SELECT count(*) FROM stage WHERE problems IS NULL), (SELECT count(*) FROM judged)"
    ))
    good, judged = totals if totals else (0, 0)
    counts["inserted"] += good - judged
    return {k: int(v) for k, v in counts.items()}, int(judged)


def _delete_replaced(con: duckdb.DuckDBPyConnection) -> str:
    """Delete stored rows the batch replaces; return a relation of their customers (to re-resolve)."""
    replaced = "is_last AND db_hash IS NOT NULL AND db_hash <> row_hash"
    for table, key, is_event in (("records", "record_id", False), ("events", "event_id", True)):
        con.execute(
            f"DELETE FROM {table} WHERE {key} IN (SELECT id FROM judged WHERE {replaced} AND is_event = {is_event})"
        )
    return f"SELECT db_customer AS customer_id FROM judged WHERE {replaced}"


def _batch_rows(con: duckdb.DuckDBPyConnection, staged: pa.Table, customers: pa.Array, judged: int) -> pa.Table:
    """The staged rows with what the writer adds, in file order: customer_id, keep (the row is written)
    and db_ingested_at (a replaced row keeps its first ingest time); judged rows are scattered by seq."""
    size = staged.num_rows
    keep = np.ones(size, dtype=bool)
    ingested = np.full(size, np.datetime64("NaT"), dtype="datetime64[us]")
    if judged:
        rows = con.sql(
            "SELECT seq, is_last AND (db_hash IS NULL OR db_hash <> row_hash) AS keep, "
            "CAST(db_ingested_at AS TIMESTAMP) AS db_ingested_at FROM judged"
        ).to_arrow_table()
        seq = rows.column("seq").to_numpy()
        keep[seq] = rows.column("keep").to_numpy(zero_copy_only=False)
        ingested[seq] = rows.column("db_ingested_at").cast(pa.timestamp("us")).to_numpy(zero_copy_only=False)
    out = staged.append_column("customer_id", customers)
    out = out.append_column("keep", pa.array(keep))
    return out.append_column("db_ingested_at", pa.array(ingested, pa.timestamp("us"), from_pandas=True))


def _insert_rows(
    con: duckdb.DuckDBPyConnection, target: tuple[str, str, bool], batch: tuple[str, str, str, datetime],
    plan: StagingPlan, columns: list[str],
) -> None:
    """Insert the batch's written rows routed to `target` from the Arrow view `rows` (see `_batch_rows`):
    one parallel scan, no join; text and raw are computed here from the file's cells, once."""
    table, key, is_event = target
    source, _, batch_id, now = batch
    cols = "".join(f"{c}, " for c in columns)
    values = "".join(f"{written_sql(plan, c)}, " for c in columns)
    con.execute(
        f"INSERT INTO {table} ({key}, source, occurred_at, seq, batch_id, customer_id, {cols}"
        "attributes, raw, row_hash, ingested_at, updated_at) "
        f"SELECT id, ?, occurred_at, seq, ?, customer_id, {values}"
        f"attributes, {raw_sql(plan)}, row_hash, coalesce(db_ingested_at, ?), ? "
        f"FROM rows WHERE problems IS NULL AND is_event = {is_event} AND keep",
        [source, batch_id, now, now],
    )


def list_rejects(ws: Workspace, *, batch: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Rejects of one batch ('last' = the newest batch) or of all batches, in file order."""
    where, params = "", []
    if batch == "last":
        where = "WHERE batch_id = (SELECT batch_id FROM ingest_batches ORDER BY started_at DESC, batch_id DESC LIMIT 1)"
    elif batch:
        where, params = "WHERE batch_id = ?", [batch]
    rows = ws.con.execute(
        f"SELECT batch_id, file, row, field, reason, raw FROM rejects {where} ORDER BY batch_id, file, row LIMIT ?",
        [*params, limit],
    ).fetchall()
    return mask_rows(ws, [
        {"batch_id": b, "file": f, "row": r, "field": fd, "reason": rs, "raw": json.loads(raw) if raw else None}
        for b, f, r, fd, rs, raw in rows
    ], texts=("raw",), what="rejects")
