"""A Spark lake workspace: its session, its lake, and the lake's tables.

A workspace with `[engine] kind = "spark"` keeps its records, events, enrichments, customers, identities,
rejects and batches as Parquet tables in the lake (`engines.lake_store`) under `[engine] warehouse`; its
DuckDB file keeps the small operational tables (taxonomy, FAQ, topic candidates). The lake's columns are
the DuckDB tables' own (read off the migrations, JSON kept as text), so both engines store the same rows.
"""

from __future__ import annotations

import re
import weakref
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from cxloop.app.workspace import Workspace
from cxloop.config import ENGINE_KINDS, EngineSettings
from cxloop.engines.lake_store import Lake, LakeTable
from cxloop.engines.spark_engine import spark_session
from cxloop.errors import UsageError
from cxloop.store import migrations

__all__ = ["LAKE_TABLES", "init_engine", "is_lake", "lake_tables", "open_lake", "require_local", "session_for",
           "warehouse_uri"]

LAKE_TABLES = ("records", "events", "enrichments", "identities", "customers", "customer_aliases",
               "identity_blocklist", "rejects", "ingest_batches")
PARTITIONED = ("records", "events")  # by month (of occurred_at, UTC) and source
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_OPEN: weakref.WeakKeyDictionary[Workspace, Lake] = weakref.WeakKeyDictionary()


@cache
def lake_tables() -> tuple[LakeTable, ...]:
    """The lake's tables with the columns of the DuckDB tables of the same name (after every migration)."""
    con = duckdb.connect()
    try:
        for _, _, sql in migrations():
            con.execute(sql)
        out = []
        for name in LAKE_TABLES:
            schema = con.sql(f"SELECT * FROM {name} LIMIT 0").to_arrow_table().schema
            schema = pa.schema([pa.field(f.name, f.type) for f in schema])  # no JSON extension metadata
            if name in PARTITIONED:
                out.append(LakeTable(name, schema.append(pa.field("month", pa.string())), ("month", "source")))
            else:
                out.append(LakeTable(name, schema))
        return tuple(out)
    finally:
        con.close()


def is_lake(ws: Workspace) -> bool:
    return ws.settings.engine.kind == "spark"


def require_local(ws: Workspace, what: str) -> None:
    """Refuse a command that reads the embedded tables directly on a lake workspace (its rows are in the lake)."""
    if is_lake(ws):
        raise UsageError(f"{what} is not available on a Spark lake workspace yet (its records, customers and "
                         "enrichments are in the lake); see docs/spark.md for what runs on a lake")


def warehouse_uri(ws: Workspace) -> str:
    """`[engine] warehouse` as Spark is given it: a URI as is, a path relative to the workspace made absolute."""
    configured = ws.settings.engine.warehouse
    if configured and _SCHEME.match(configured) and not re.match(r"^[A-Za-z]:[\\/]", configured):
        return configured
    path = Path(configured).expanduser() if configured else Path("lake")
    return str(path if path.is_absolute() else (ws.root / path).resolve())


def init_engine(kind: str, warehouse: str | None, master: str | None) -> EngineSettings | None:
    """The `[engine]` table `cxloop init` writes (None: a DuckDB workspace, no table)."""
    if kind == "duckdb":
        if warehouse or master:
            raise UsageError("--warehouse and --master are for a Spark lake workspace: add --engine spark")
        return None
    try:
        settings = EngineSettings(kind=kind, warehouse=warehouse)
    except ValueError as exc:
        raise UsageError(f"--engine {kind!r}: use {' or '.join(ENGINE_KINDS)}", field="engine") from exc
    if master:
        settings.master = master
    return settings


def session_for(ws: Workspace) -> Any:
    master, conf = ws.settings.spark_options()
    return spark_session(master, conf)


def open_lake(ws: Workspace) -> Lake:
    """The workspace's lake on its Spark session (opened once per workspace object)."""
    lake = _OPEN.get(ws)
    if lake is None:
        lake = Lake(session_for(ws), warehouse_uri(ws), lake_tables())
        _OPEN[ws] = lake
    return lake
