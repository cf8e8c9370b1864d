"""Stage whole export files into canonical rows and rejects: the batch function of a Spark ingest task.

`stage_file` is the embedded ingest's own pipeline run on one file: the same connector (`read_export`),
the same plan (`plan_staging`), the same staging query (`staging_sql`, run by an in-process DuckDB over
the file's Arrow table), the same written values (`written_sql`, `raw_sql`) and the same reject rows
(`rejects_sql`, `bad_rows_sql`). What it returns is one Arrow table in `STAGED_SCHEMA`, a `part` column
telling its kinds of rows apart: `row` (a good row, ready to be judged and written), `reject`, `file`
(one per file: rows read and SHA-256) and `error` (the file could not be read or mapped: the message).
`stage_mapper` wraps it for `DataFrame.mapInArrow` over Spark's `binaryFile` rows (path, content).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb
import pyarrow as pa

from cxloop.config import SourceProfile
from cxloop.errors import CxloopError
from cxloop.ingest.connectors import detect_format, read_export
from cxloop.ingest.plan import PlanContext, bad_rows_sql, bad_rows_table, beside_file, plan_staging, rejects_sql
from cxloop.ingest.transform import StagingPlan, raw_sql, staged_fields, staging_sql, written_sql
from cxloop.model.fields import CANONICAL_FIELDS, NUMBER_FIELDS, SCORE_FIELDS

__all__ = ["STAGED_SCHEMA", "StageRecipe", "local_name", "stage_file", "stage_mapper"]


def _field_type(name: str) -> pa.DataType:
    if name == "occurred_at":
        return pa.timestamp("us")
    if name == "nps":
        return pa.int16()
    return pa.float64() if name in SCORE_FIELDS or name in NUMBER_FIELDS else pa.string()


STAGED_SCHEMA = pa.schema(
    [("part", pa.string()), ("file_no", pa.int64()), ("file", pa.string()), ("row_number", pa.int64()),
     ("seq", pa.int64())]
    + [(f, _field_type(f)) for f in CANONICAL_FIELDS]
    + [("attributes", pa.string()), ("raw", pa.string()), ("is_event", pa.bool_()), ("id", pa.string()),
       ("row_hash", pa.string()), ("reject_id", pa.string()), ("field", pa.string()), ("reason", pa.string()),
       ("rows_read", pa.int64()), ("file_sha256", pa.string())]
)


@dataclass(frozen=True)
class StageRecipe:
    """Everything a task needs besides the file (picklable: it travels to the executors)."""

    ctx: PlanContext
    profile: SourceProfile
    batch_id: str


def local_name(uri: str) -> str:
    """The file as users name it: a local URI (`file:/x/y.csv`) as its plain path."""
    for prefix in ("file://", "file:"):
        if uri.startswith(prefix):
            return "/" + uri[len(prefix):].lstrip("/")
    return uri


def _conform(table: pa.Table, constants: dict[str, object]) -> pa.Table:
    """`table` in `STAGED_SCHEMA` order: its own columns cast, the others constant or null."""
    n = table.num_rows
    columns = []
    for f in STAGED_SCHEMA:
        if f.name in table.column_names:
            columns.append(table.column(f.name).cast(f.type))
        else:
            columns.append(pa.array([constants.get(f.name)] * n, f.type))
    return pa.Table.from_arrays(columns, schema=STAGED_SCHEMA)


def _good_rows(con: duckdb.DuckDBPyConnection, plan: StagingPlan) -> pa.Table:
    fields = [f for f in staged_fields(plan) if f != "occurred_at"]
    values = "".join(f", {written_sql(plan, f)} AS {f}" for f in fields)
    return con.sql(
        f"SELECT row_number, seq, occurred_at{values}, CAST(attributes AS VARCHAR) AS attributes, "
        f"CAST({raw_sql(plan)} AS VARCHAR) AS raw, is_event, id, row_hash FROM stage WHERE problems IS NULL"
    ).to_arrow_table()


def _rejects(con: duckdb.DuckDBPyConnection, plan: StagingPlan, recipe: StageRecipe, file: str, bad: bool) -> pa.Table:
    params = [plan.source, recipe.batch_id, plan.source, file]
    cols = "reject_id, row AS row_number, field, reason, CAST(raw AS VARCHAR) AS raw"
    parts = [con.sql(f"SELECT {cols} FROM ({rejects_sql(plan)})", params=params).to_arrow_table()]
    if bad:
        parts.append(con.sql(f"SELECT {cols} FROM ({bad_rows_sql()})", params=params).to_arrow_table())
    return pa.concat_tables([p.cast(parts[0].schema) for p in parts])


def stage_file(path: Path, file: str, file_no: int, recipe: StageRecipe) -> pa.Table:
    """Read, stage and validate one export (a local copy at `path`, named `file`); see the module docstring."""
    head = {"file_no": file_no, "file": file}
    try:
        fmt = detect_format(path, recipe.profile.format)  # the local copy keeps the file's name
        profile = recipe.profile
        read = read_export(path, fmt=fmt, encoding=profile.encoding, delimiter=profile.delimiter, sheet=profile.sheet)
        plan = plan_staging(recipe.ctx, profile, fmt, read, file)
        plan.validate()
    except CxloopError as exc:
        return _conform(pa.table({"reason": [exc.message]}), {**head, "part": "error"})
    digest = read.sha256 or hashlib.sha256(path.read_bytes()).hexdigest()
    con = duckdb.connect()  # the batch's compute only: an in-memory database, gone with the task
    try:
        con.register("src", read.table)
        con.register("stage", beside_file(con.sql(staging_sql(plan)).to_arrow_table(), plan, read.table))
        if read.bad_rows:
            con.register("bad_rows", bad_rows_table(read))
        rows = _conform(_good_rows(con, plan), {**head, "part": "row"})
        rejects = _conform(_rejects(con, plan, recipe, file, bool(read.bad_rows)), {**head, "part": "reject"})
    finally:
        con.close()
    summary = _conform(pa.table({"rows_read": [read.rows_read]}), {**head, "part": "file", "file_sha256": digest})
    return pa.concat_tables([rows, rejects, summary])


def stage_mapper(
    recipe: StageRecipe, file_nos: dict[str, int], chunk: int = 1 << 16
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A function for `mapInArrow` over `binaryFile` rows: each file is copied to the task's local disk
    (connectors read files by path; the name keeps its suffix for format detection) and staged."""

    def mapper(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for uri, content in zip(batch.column("path").to_pylist(), batch.column("content").to_pylist(),
                                    strict=True):
                with tempfile.TemporaryDirectory(prefix="cxloop-stage-") as folder:
                    local = Path(folder) / PurePosixPath(uri).name
                    local.write_bytes(content)
                    table = stage_file(local, local_name(uri), file_nos[uri], recipe)
                yield from table.to_batches(max_chunksize=chunk)

    return mapper
