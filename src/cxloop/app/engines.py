"""Open the engine a query runs on: DuckDB on the workspace, Spark on its lake, or Spark over an export.

One place for every service (metrics, journeys). The engine is the workspace's own (`[engine] kind`)
unless a command names one. On a DuckDB workspace `--engine spark` exports the tables the queries need
(reusing an export that is still current, see `engines.spark_engine.export_parquet`) and reads them in a
Spark session; on a Spark lake workspace Spark reads the lake's tables (`engines.lake_engine`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import ibis
import pyarrow as pa

from cxloop.app.access import scoped_engine
from cxloop.app.workspace import Workspace
from cxloop.engines import DuckDBEngine
from cxloop.errors import UsageError

__all__ = ["ENGINES", "Engine", "open_engine"]

ENGINES = ("duckdb", "spark")


class Engine(Protocol):
    """What services need of an engine: its name, its tables as Ibis tables, and results as Arrow."""

    name: str

    def table(self, name: str) -> ibis.Table: ...

    def has_rows(self, name: str) -> bool: ...

    def to_arrow(self, expr: ibis.Expr) -> pa.Table: ...


def _local_table(ws: Workspace, name: str) -> pa.Table | None:
    """A table of the workspace's DuckDB file (the lake engine's source of the taxonomy)."""
    found = ws.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?", [name]
    ).fetchall()
    return ws.con.sql(f"SELECT * FROM {name}").to_arrow_table() if found and found[0][0] else None


def open_engine(ws: Workspace, engine: str | Any | None, tables: Iterable[str]) -> Engine:
    """The workspace's engine (None), or the one named: DuckDB on the workspace file, Spark on the lake
    of a lake workspace, or Spark over a current Parquet export of `tables` of a DuckDB workspace.

    An already opened engine is passed through (to run many queries on one Spark session). Either way the
    tables are narrowed to the principal's scope (`app.access`)."""
    if engine is not None and not isinstance(engine, str):
        return scoped_engine(ws, engine)  # type: ignore[no-any-return,unused-ignore]
    kind = engine or ws.settings.engine.kind
    lake = ws.settings.engine.kind == "spark"
    if kind == "duckdb":
        if lake:
            raise UsageError("this workspace keeps its records in a Spark lake ([engine] kind = \"spark\"); "
                             "run the command with --engine spark (or without --engine)", field="engine")
        return scoped_engine(ws, DuckDBEngine(ws.con))  # type: ignore[no-any-return,unused-ignore]
    if kind == "spark" and lake:
        from cxloop.app.lake import open_lake
        from cxloop.engines.lake_engine import LakeEngine

        return scoped_engine(  # type: ignore[no-any-return,unused-ignore]
            ws, LakeEngine(open_lake(ws), lambda name: _local_table(ws, name)))
    if kind == "spark":
        from cxloop.engines.spark_engine import SparkEngine, export_parquet

        folder = ws.root / "exports" / "parquet"
        export_parquet(ws.con, folder, tables)
        master, conf = ws.settings.spark_options()
        return scoped_engine(  # type: ignore[no-any-return,unused-ignore]
            ws, SparkEngine.for_folder(folder, master=master, conf=conf))
    raise UsageError(f"--engine {engine!r}: use {' or '.join(ENGINES)}", field="engine")
