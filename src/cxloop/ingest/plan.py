"""From a source profile and a read export to the `StagingPlan` the staging query runs (both engines).

`plan_staging` is what the embedded ingest and every Spark ingest task call on the file they read, so the
mapping, parsing, validation and normalisation are the same code wherever a file is staged.
`rejects_sql` and `bad_rows_sql` are the reject rows of a staged batch, also shared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cxloop.config import SourceProfile
from cxloop.ingest.columns import may_hold_control, may_need_trim
from cxloop.ingest.connectors import ReadResult
from cxloop.ingest.transform import FILE_PREFIX, StagingPlan, raw_sql

__all__ = ["XES_MAPPING", "PlanContext", "bad_rows_sql", "bad_rows_table", "beside_file", "plan_staging", "rejects_sql"]

XES_MAPPING = {
    "session_id": "case:concept:name",
    "event_type": "concept:name",
    "occurred_at": "time:timestamp",
    "agent_id": "org:resource",
}


@dataclass(frozen=True)
class PlanContext:
    """What a plan needs beyond the profile and the file: the source's name, its timezone (the profile's,
    else the workspace's) and the salt when identifiers are stored hashed."""

    source: str
    timezone: str
    salt: str | None = None


def plan_staging(ctx: PlanContext, profile: SourceProfile, fmt: str, read: ReadResult, file: str) -> StagingPlan:
    """The staging plan of one read export (which columns need no trim or control-character pass is read
    off the file's own bytes, see `cxloop.ingest.columns`)."""
    mapping = dict(profile.map)
    constants = {k: v for k, v in (("channel", profile.channel), ("kind", profile.kind)) if v}
    if fmt == "xes":
        for canonical, column in XES_MAPPING.items():
            if column in read.table.column_names:
                mapping.setdefault(canonical, column)
        constants.setdefault("kind", "event")
    columns = [c for c in read.table.column_names if not c.startswith("__")]
    mapped = {c for c in mapping.values() if c in columns}
    text = mapping.get("text")
    return StagingPlan(
        source=ctx.source, columns=columns, mapping=mapping, constants=constants, defaults=profile.defaults,
        scales=profile.scales, timezone=ctx.timezone, date_format=profile.date_format,
        account_namespace=profile.account_namespace, salt=ctx.salt, file=file,
        trimmed=frozenset(c for c in mapped if not may_need_trim(read.table.column(c))),
        control_free=frozenset([text] if text in mapped and not may_hold_control(read.table.column(text)) else []),
    )


def beside_file(staged: pa.Table, plan: StagingPlan, table: pa.Table) -> pa.Table:
    """The staged rows in file order, with the file's own columns (`table`) beside them.

    One Arrow table, so the writer reads the staged values, the file's cells (for text and raw) and the
    customers side by side with no join: a join on seq cost ~1.5 CPU-s per million rows, and DuckDB's
    positional join runs on one thread. DuckDB returns the rows in file order here (preserved insertion
    order); should it not, they are put back in order by their seq (a sort in the query cost ~0.25 CPU-s
    per million rows every time).
    """
    seq = staged.column("seq").to_numpy()
    size = table.num_rows
    if len(seq) != size or (size and (seq.min() != 0 or seq.max() != size - 1)):
        raise AssertionError("ingest: staged rows are not one per data row")
    if not np.array_equal(seq, np.arange(size)):
        order = np.empty(size, dtype=np.int64)
        order[seq] = np.arange(size)
        staged = staged.take(order)
        if not np.array_equal(staged.column("seq").to_numpy(), np.arange(size)):
            raise AssertionError("ingest: staged rows are not one per data row")
    for name in plan.columns:
        staged = staged.append_column(FILE_PREFIX + name, table.column(name))
    return staged


def bad_rows_table(read: ReadResult) -> pa.Table:
    """The connector's unsplittable rows as the table `bad_rows_sql` reads (row, reason, line)."""
    return pa.table({
        "row": pa.array([b.row for b in read.bad_rows], pa.int64()),
        "reason": pa.array([b.reason for b in read.bad_rows], pa.string()),
        "line": pa.array([b.text for b in read.bad_rows], pa.string()),
    })


def bad_rows_sql() -> str:
    """Reject rows (reject_id, batch_id, source, file, row, field, reason, raw) of the rows the connector
    could not split, over the view `bad_rows` (row, reason, line); parameters: source, batch_id, source, file."""
    return (
        "SELECT md5(? || chr(30) || line || chr(30) || CAST(k AS VARCHAR)) AS reject_id, ? AS batch_id, "
        "? AS source, ? AS file, row, NULL::VARCHAR AS field, reason, json_object('line', line) AS raw "
        "FROM (SELECT *, row_number() OVER (PARTITION BY line ORDER BY row) AS k FROM bad_rows)"
    )


def rejects_sql(plan: StagingPlan) -> str:
    """Reject rows of the staged rows with problems, over the view `stage` (staged rows with the file's
    cells beside them); same columns and parameters as `bad_rows_sql`. Identical bad rows in one file are
    each a reject (numbered k), and a re-ingest finds them all again under the same ids."""
    return f"""
        SELECT md5(? || chr(30) || raw_text || chr(30) || CAST(k AS VARCHAR)) AS reject_id, ? AS batch_id,
               ? AS source, ? AS file, row_number AS row,
               array_to_string(list_filter(fields, lambda x, i: list_position(fields, x) = i), ',') AS field,
               array_to_string(list_transform(problems, lambda x: replace(x, chr(31), ': ')), '; ') AS reason,
               raw
        FROM (
            SELECT row_number, problems, raw, CAST(raw AS VARCHAR) AS raw_text,
                   list_transform(problems, lambda x: split_part(x, chr(31), 1)) AS fields,
                   row_number() OVER (PARTITION BY CAST(raw AS VARCHAR) ORDER BY row_number) AS k
            FROM (SELECT row_number, problems, {raw_sql(plan)} AS raw FROM stage WHERE problems IS NOT NULL)
        )
        """
