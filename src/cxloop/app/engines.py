"""Open the engine a query runs on: DuckDB on the workspace, or Spark over its Parquet export.

One place for every service (metrics, journeys): `--engine spark` exports the tables the queries need
(reusing an export that is still current, see `engines.spark_engine.export_parquet`) and reads them in a
Spark session configured by the workspace's `[spark]` section (`master`, and any `spark.*` setting).
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

    def to_arrow(self, expr: ibis.Expr) -> pa.Table: ...


def open_engine(ws: Workspace, engine: str | Any, tables: Iterable[str]) -> Engine:
    """DuckDB on the workspace connection, or Spark over a current Parquet export of `tables`.

    An already opened engine is passed through (to run many queries on one Spark session). Either way the
    tables are narrowed to the principal's scope (`app.access`)."""
    if not isinstance(engine, str):
        return scoped_engine(ws, engine)  # type: ignore[no-any-return,unused-ignore]
    if engine == "duckdb":
        return scoped_engine(ws, DuckDBEngine(ws.con))  # type: ignore[no-any-return,unused-ignore]
    if engine == "spark":
        from cxloop.engines.spark_engine import SparkEngine, export_parquet

        folder = ws.root / "exports" / "parquet"
        export_parquet(ws.con, folder, tables)
        cfg = ws.settings.spark
        conf = {k: v for k, v in cfg.items() if k.startswith("spark.")}
        return scoped_engine(  # type: ignore[no-any-return,unused-ignore]
            ws, SparkEngine.for_folder(folder, master=str(cfg.get("master", "local[2]")), conf=conf))
    raise UsageError(f"--engine {engine!r}: use {' or '.join(ENGINES)}", field="engine")
