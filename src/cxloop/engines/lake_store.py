"""A lake of Parquet tables written and read by Spark, made atomic by a commit log (`lake_log`).

Layout under the warehouse root::

    _lake/v00000000000000000007.json     snapshots: every live data file of every table (the commit log)
    _staging/<transaction>/...           what a running transaction has written so far (never read)
    records/month=2026-10/source=hotline/part-*.parquet      partitioned tables: month and source
    events/month=.../source=.../part-*.parquet
    enrichments/part-*.parquet  identities/...  customers/...  rejects/...  ingest_batches/...

A transaction writes its DataFrames under `_staging/<id>/`, then at commit moves the files into their
tables and publishes a snapshot naming them (and no longer naming the files it replaced, which are then
deleted). Readers only read the files the newest snapshot names, so a transaction killed at any point is
invisible; `recover` (run before every write) deletes what a killed one left behind.

Why not Delta Lake or Iceberg: both need their jars on the Spark classpath (downloaded from Maven at
session start, or shipped by the cluster), which a plain `pip install pyspark` does not have and an
offline machine cannot fetch; this log needs nothing beyond Spark and Hadoop's FileSystem API.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from cxloop.engines.lake_fs import LakeFS
from cxloop.engines.lake_log import DataFile, Snapshot, commit_snapshot, read_snapshot
from cxloop.errors import Conflict, WorkspaceError

__all__ = ["STAGING_DIR", "Lake", "LakeTable", "LakeTransaction"]

STAGING_DIR = "_staging"


@dataclass(frozen=True)
class LakeTable:
    """A table's columns (Arrow types; the Spark schema follows) and its partition columns (strings, last)."""

    name: str
    schema: pa.Schema
    partition_by: tuple[str, ...] = ()

    def spark_schema(self) -> Any:
        from pyspark.sql.pandas.types import from_arrow_schema
        from pyspark.sql.types import StringType, StructField, StructType

        data = from_arrow_schema(self.schema, prefer_timestamp_ntz=True)
        fields = [f for f in data.fields if f.name not in self.partition_by]
        return StructType(fields + [StructField(p, StringType(), True) for p in self.partition_by])


class Lake:
    """The tables of one warehouse root, read at the newest snapshot."""

    def __init__(self, session: Any, warehouse: str, tables: Iterable[LakeTable]) -> None:
        self.session = session
        self.fs = LakeFS(session, warehouse)
        self.tables = {t.name: t for t in tables}
        self.snapshot = read_snapshot(self.fs)

    def refresh(self) -> Snapshot:
        self.snapshot = read_snapshot(self.fs)
        return self.snapshot

    def table(self, name: str) -> LakeTable:
        if name not in self.tables:
            raise WorkspaceError(f"the lake has no table {name!r}; tables are {', '.join(sorted(self.tables))}")
        return self.tables[name]

    def read(self, name: str, files: Iterable[str] | None = None, *, with_file: bool = False) -> Any:
        """The table (or just `files` of it) as a DataFrame with its full schema (partition columns last);
        `with_file` adds `file`, the name of each row's data file (taken at the scan: after a join Spark no
        longer knows it; `files_named` maps names back to paths)."""
        from pyspark.sql import functions as F

        spec = self.table(name)
        schema = spec.spark_schema()
        paths = list(files) if files is not None else [f.path for f in self.snapshot.files(name)]
        if not paths:
            df = self.session.createDataFrame([], schema)
            return df.withColumn("file", F.lit(None).cast("string")) if with_file else df
        reader = self.session.read.schema(schema)
        if spec.partition_by:
            reader = reader.option("basePath", self.fs.uri(name))
        df = reader.parquet(*(self.fs.uri(p) for p in paths))
        return df.withColumn("file", F.col("_metadata.file_name")) if with_file else df

    def files_named(self, name: str, names: Iterable[str]) -> list[str]:
        """Paths of the table's live files with these names (file names are unique: Spark puts a UUID in each)."""
        wanted = set(names)
        return [f.path for f in self.snapshot.files(name) if f.path.rsplit("/", 1)[-1] in wanted]

    def rows(self, name: str) -> int:
        return self.snapshot.rows(name)

    def recover(self) -> dict[str, int]:
        """Delete what killed transactions left: the staging area, and data files no snapshot names."""
        live = self.refresh().paths()
        staged = self.fs.delete(STAGING_DIR, recursive=True)
        orphans = 0
        for name in self.tables:
            for stored in self.fs.list_files(name):
                if stored.path not in live and not _is_marker(stored.path):
                    self.fs.delete(stored.path)
                    orphans += 1
        return {"staging": int(staged), "orphans": orphans}

    def transaction(self, operation: str, txid: str | None = None) -> LakeTransaction:
        return LakeTransaction(self, operation, txid)


def _is_marker(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith(("_", "."))


class LakeTransaction:
    """Writes staged under `_staging/<id>/`, published together by `commit`."""

    def __init__(self, lake: Lake, operation: str, txid: str | None = None) -> None:
        self.lake = lake
        self.operation = operation
        self.base = lake.snapshot
        self.id = txid or f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        self.added: dict[str, list[tuple[str, DataFile]]] = {}  # table -> (staged path, final file)
        self.removed: dict[str, set[str]] = {}
        self._writes = 0

    def append(self, name: str, df: Any) -> int:
        """Stage `df` (columns by name; missing ones null) as new files of table `name`; return its rows."""
        from pyspark.sql import functions as F

        spec = self.lake.table(name)
        schema = spec.spark_schema()
        cols = [F.col(f.name).cast(f.dataType) if f.name in df.columns else F.lit(None).cast(f.dataType).alias(f.name)
                for f in schema.fields]
        out = df.select(*cols)
        self._writes += 1
        stage = f"{STAGING_DIR}/{self.id}/{name}/{self._writes}"
        # no repartition by the partition columns: that would shuffle every row once more; each task writes
        # its rows of each partition to one file (Spark sorts them by partition first)
        writer = out.write.mode("error")
        if spec.partition_by:
            writer = writer.partitionBy(*spec.partition_by)
        writer.parquet(self.lake.fs.uri(stage))
        return self._collect(name, stage)

    def _collect(self, name: str, stage: str) -> int:
        """Count the rows of each staged file (off its Parquet footer) and plan its final path in the table."""
        total = 0
        for f in self.lake.fs.list_files(stage):
            if _is_marker(f.path) or not f.path.endswith(".parquet"):
                continue
            n = self.lake.fs.parquet_rows(f.path, f.size)
            if n:
                final = f"{name}/{f.path[len(stage) + 1:]}"
                self.added.setdefault(name, []).append((f.path, DataFile(final, n)))
                total += n
        return total

    def scratch(self, name: str) -> str:
        """A URI for intermediate data of this transaction (never published; deleted with the staging area)."""
        return self.lake.fs.uri(f"{STAGING_DIR}/{self.id}/scratch/{name}")

    def remove(self, name: str, paths: Iterable[str]) -> None:
        self.removed.setdefault(name, set()).update(paths)

    def replace(self, name: str, df: Any) -> int:
        """The table becomes `df`."""
        self.remove(name, (f.path for f in self.base.files(name)))
        return self.append(name, df)

    def commit(self, info: dict[str, Any]) -> Snapshot:
        """Move the staged files into their tables and publish the new snapshot; then drop replaced files."""
        fs = self.lake.fs
        current = read_snapshot(fs)
        if current.version != self.base.version:
            raise Conflict(f"lake {fs.root} changed during this {self.operation} (version {self.base.version} -> "
                           f"{current.version}); run it again")
        for files in self.added.values():
            for staged, final in files:
                if not fs.rename(staged, final.path):
                    raise WorkspaceError(f"lake {fs.root}: cannot move {staged} to {final.path}")
        tables: dict[str, list[DataFile]] = {}
        for name in sorted(set(self.base.tables) | set(self.added)):
            gone = self.removed.get(name, set())
            kept = [f for f in self.base.files(name) if f.path not in gone]
            tables[name] = kept + [final for _, final in self.added.get(name, [])]
        snapshot = commit_snapshot(fs, self.base, tables, {"operation": self.operation, "transaction": self.id, **info})
        self.lake.snapshot = snapshot
        for paths in self.removed.values():
            for path in paths:
                fs.delete(path)
        self.abort()
        return snapshot

    def abort(self) -> None:
        self.lake.fs.delete(f"{STAGING_DIR}/{self.id}", recursive=True)
