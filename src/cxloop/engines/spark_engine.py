"""Run the same Ibis expressions on PySpark over a Parquet export of the workspace.

`export_parquet` writes the analytical tables with DuckDB's `COPY ... (PARTITION_BY (month, source))` and
a `manifest.json` keyed by each table's row count, max batch_id and max update time; an export whose key
matches the database is reused. `SparkEngine` reads that folder in a local (or configured) Spark session
with the session timezone pinned to UTC, so naive UTC timestamps mean the same on both engines.
pyspark is an optional extra (`pip install 'cxloop[spark]'`, pyspark>=3.5,<4.1 for ibis).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from cxloop.errors import ConfigError, WorkspaceError

__all__ = ["SparkEngine", "export_parquet", "spark_session"]

MANIFEST = "manifest.json"
_EXPORT_VERSION = 1
# Per table: the currency key query and the SELECT that is exported (JSON as text, no raw rows).
_KEYS = {
    "records": "SELECT count(*), max(batch_id), max(updated_at)::VARCHAR FROM records",
    "events": "SELECT count(*), max(batch_id), max(updated_at)::VARCHAR FROM events",
    "enrichments": "SELECT count(*), max(model_version), max(enriched_at)::VARCHAR FROM enrichments",
    "ingest_batches": "SELECT count(*), max(batch_id), max(coalesce(finished_at, started_at))::VARCHAR "
    "FROM ingest_batches",
    "taxonomy": (
        "SELECT count(*), md5(coalesce(string_agg(topic_id || '|' || coalesce(parent_id, '') || '|' || "
        "name_en || '|' || coalesce(owner_department, ''), ',' ORDER BY topic_id), '')), NULL FROM taxonomy"
    ),
}
_SELECT = {
    "records": "SELECT * EXCLUDE (raw, attributes), attributes::VARCHAR AS attributes, "
    "strftime(occurred_at, '%Y-%m') AS month FROM records",
    "events": "SELECT * EXCLUDE (raw, attributes), attributes::VARCHAR AS attributes, "
    "strftime(occurred_at, '%Y-%m') AS month FROM events",
    "enrichments": "SELECT * EXCLUDE (topics, aspects), topics::VARCHAR AS topics, aspects::VARCHAR AS aspects "
    "FROM enrichments",
    "taxonomy": "SELECT * FROM taxonomy",
    "ingest_batches": "SELECT * EXCLUDE (options), options::VARCHAR AS options FROM ingest_batches",
}
_PARTITIONED = {"records", "events"}


def _key(con: duckdb.DuckDBPyConnection, table: str) -> list[Any]:
    row = con.execute(_KEYS[table]).fetchall()[0]
    return [None if v is None else (v if isinstance(v, int) else str(v)) for v in row]


def export_parquet(con: duckdb.DuckDBPyConnection, folder: Path, tables: Iterable[str]) -> dict[str, Any]:
    """Write `tables` under `folder/<table>/` unless the manifest says the export is still current."""
    folder = folder.expanduser().resolve()
    wanted = list(tables)
    unknown = [t for t in wanted if t not in _SELECT]
    if unknown:
        raise WorkspaceError(f"cannot export {unknown}; exportable tables are {sorted(_SELECT)}")
    manifest_path = folder / MANIFEST
    old: dict[str, Any] = {}
    if manifest_path.is_file():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
    if old.get("version") != _EXPORT_VERSION:
        old = {"version": _EXPORT_VERSION, "tables": {}}
    report: dict[str, Any] = {"folder": str(folder), "tables": {}}
    folder.mkdir(parents=True, exist_ok=True)
    for table in wanted:
        key = _key(con, table)
        path = folder / table
        previous = old["tables"].get(table)
        reused = bool(previous and previous.get("key") == key and path.is_dir())
        if not reused:
            _write(con, table, path, empty=not key[0])
            old["tables"][table] = {"key": key, "rows": key[0], "path": str(path)}
        report["tables"][table] = {"rows": key[0], "reused": reused, "path": str(path)}
    manifest_path.write_text(json.dumps(old, indent=2), encoding="utf-8")
    report["reused"] = all(t["reused"] for t in report["tables"].values())
    return report


def _write(con: duckdb.DuckDBPyConnection, table: str, path: Path, *, empty: bool) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    target = str(path).replace("'", "''")
    if table in _PARTITIONED and not empty:
        sql = f"COPY ({_SELECT[table]}) TO '{target}' (FORMAT parquet, PARTITION_BY (month, source))"
    else:  # one file keeps the schema even when the table is empty
        sql = f"COPY ({_SELECT[table]}) TO '{target}/part-0.parquet' (FORMAT parquet)"
    con.execute(sql).fetchall()


def spark_session(master: str = "local[2]", conf: Mapping[str, Any] | None = None) -> Any:
    """Get (or create) the process's Spark session, timezone UTC, partition values kept as strings."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise ConfigError("--engine spark needs pyspark: pip install 'cxloop[spark]'") from exc
    # Python tasks (mapInArrow) run in this interpreter's environment, where cxloop is installed, unless the
    # user points Spark elsewhere (a cluster's executors need an environment with cxloop: see docs/spark.md)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName("cxloop")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    for name, value in (conf or {}).items():
        builder = builder.config(name, str(value))
    # always UTC, whatever the configuration says: cxloop's times are naive UTC, and Spark reads, writes and
    # converts timestamps in the session zone (see config.EngineSettings)
    session = builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine:
    """Ibis on a PySpark session; tables are the Parquet folders of an export."""

    name = "spark"

    def __init__(self, session: Any, folder: Path) -> None:
        self.session = session
        self.folder = folder
        self.backend: Any = ibis.pyspark.connect(session)
        self._tables: dict[str, ibis.Table] = {}

    @classmethod
    def for_folder(
        cls, folder: Path, *, master: str = "local[2]", conf: Mapping[str, Any] | None = None
    ) -> SparkEngine:
        return cls(spark_session(master, conf), folder)

    def table(self, name: str) -> ibis.Table:
        if name not in self._tables:
            path = self.folder / name
            if not path.is_dir():
                raise WorkspaceError(f"no Parquet export of {name!r} under {self.folder}", file=str(path))
            df = self.session.read.parquet(str(path))
            if "month" in df.columns and name in _PARTITIONED:
                df = df.drop("month")
            view = f"cxloop_{name}"
            df.createOrReplaceTempView(view)
            self._tables[name] = self.backend.table(view)
        return self._tables[name]

    def has_rows(self, name: str) -> bool:
        """From the export's manifest (no Spark job)."""
        manifest = self.folder / MANIFEST
        if not manifest.is_file():
            return False
        tables = json.loads(manifest.read_text(encoding="utf-8")).get("tables", {})
        return bool(tables.get(name, {}).get("rows"))

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        return self.backend.to_pyarrow(expr)
