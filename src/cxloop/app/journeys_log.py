"""Flows and variants straight from an event-log file (CSV, TSV, Parquet, XES), without a workspace.

A process analyst's quick look at an export, as pm4py is used: `cxloop journeys flows --log FILE`. The log
is read by DuckDB (a parallel, typed CSV/Parquet reader; XES through `ingest.xes.read_xes`), filtered by
the lifecycle rule, and handed to the same numpy finish as the workspace path (`journeys.sequences`):
a case is a sequence, its events ordered by time and ties by their position in the file. Nothing is
written anywhere. For identity resolution, text, metrics or repeated analysis, ingest the log instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from cxloop.app.journeys_service import SequenceLog
from cxloop.errors import InputError, UsageError
from cxloop.ingest.xes import read_xes
from cxloop.journeys import sequences as seq_arrays

__all__ = ["LogColumns", "log_sequences"]

_READERS = {".csv": "read_csv", ".tsv": "read_csv", ".txt": "read_csv", ".parquet": "read_parquet"}


@dataclass(frozen=True)
class LogColumns:
    """Which columns of the log are the case, the activity, the time and the lifecycle transition."""

    case: str = "case:concept:name"
    activity: str = "concept:name"
    timestamp: str = "time:timestamp"
    lifecycle: str = "lifecycle:transition"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _source(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Register the log as the view `log` (file order kept)."""
    name = path.name.lower()
    if name.endswith((".xes", ".xes.gz")):
        con.register("log_arrow", read_xes(path))
        con.execute("CREATE VIEW log AS SELECT * FROM log_arrow")
    elif path.suffix.lower() in _READERS:
        reader = _READERS[path.suffix.lower()]
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"CREATE VIEW log AS SELECT * FROM {reader}({literal})")
    else:
        raise InputError(f"{path.name}: a log must be .csv, .tsv, .txt, .parquet, .xes or .xes.gz", file=str(path))


def _text(column: str, kind: str) -> str:
    return _quote(column) if kind == "VARCHAR" else f"{_quote(column)}::VARCHAR"


def _time(column: str, kind: str) -> str:
    """UTC wall time: a TIMESTAMP as is, an offset-aware or text time converted (the session is in UTC)."""
    if kind == "TIMESTAMP":
        return _quote(column)
    if kind in ("TIMESTAMP WITH TIME ZONE", "DATE") or kind.startswith("TIMESTAMP_"):
        return f"{_quote(column)}::TIMESTAMP"
    return f"{_quote(column)}::TIMESTAMPTZ::TIMESTAMP"


def _scan_sql(columns: LogColumns, have: dict[str, str], lifecycle: str | None, file: str) -> str:
    needed = [columns.case, columns.activity, columns.timestamp] + ([columns.lifecycle] if lifecycle else [])
    for column in needed:
        if column not in have:
            raise InputError(f"{Path(file).name}: no column {column!r} (columns: {', '.join(have)})",
                             file=file, field=column)
    case = _text(columns.case, have[columns.case])
    act = _text(columns.activity, have[columns.activity])
    ts = _time(columns.timestamp, have[columns.timestamp])
    where = f"{case} IS NOT NULL"
    if lifecycle:
        wanted = lifecycle.strip().lower().replace("'", "''")
        life = _text(columns.lifecycle, have[columns.lifecycle])
        where += f" AND ({life} = '{wanted}' OR lower({life}) = '{wanted}')"
    return (f"SELECT {case} AS seq_key, coalesce({act}, '(none)') AS label, {ts} AS occurred_at "
            f"FROM log WHERE {where}")


def log_sequences(path: Path, *, columns: LogColumns | None = None, lifecycle: str | None = None) -> SequenceLog:
    """Read, filter and sort an event log into sequences (one per case) for `flows_from`/`variants_from`."""
    columns = columns or LogColumns()
    if columns.case == columns.activity:
        raise UsageError("the case and the activity must be different columns", field="case")
    if not path.is_file():
        raise InputError(f"no such log file: {path}", file=str(path))
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET TimeZone = 'UTC'")  # offsets are converted to UTC, naive times kept as written
        try:
            _source(con, path)
            have = {r[0]: str(r[1]) for r in con.execute("DESCRIBE log").fetchall()}
            scanned: pa.Table = con.sql(_scan_sql(columns, have, lifecycle, str(path))).to_arrow_table()
        except duckdb.ConversionException as exc:
            raise InputError(f"{path.name}: column {columns.timestamp!r} holds values that are not times ({exc})",
                             file=str(path), field=columns.timestamp) from exc
        except (duckdb.IOException, duckdb.InvalidInputException) as exc:
            raise InputError(f"{path.name}: cannot read the log: {exc}", file=str(path)) from exc
    arrays, labels = seq_arrays.sort_steps(scanned)  # no tie column: the file order breaks ties
    return SequenceLog(arrays, dict(enumerate(labels)), "event_type", "case", lifecycle)
