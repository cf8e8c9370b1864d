"""The cases of `bench_lake`: each runs in a fresh process and prints one JSON object (see bench_lake).

Every case measures its own work (`seconds`), the wall time to start its engine when it has one
(`start_s`: a Spark session) and the peak RSS of its process tree (the sum of each process's VmHWM: the
Python driver, the JVM and Spark's Python workers; an upper bound, as the peaks need not coincide).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_ingest import MAPPING

SPARK_CONF = '\n[engine]\nkind = "spark"\nmaster = "local[2]"\n[engine.conf]\n"spark.driver.memory" = "{memory}"\n' \
             '"spark.sql.shuffle.partitions" = "4"\n'
FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H:%M"]


def tree_peak_mb(pid: int | None = None) -> float:
    """Sum of VmHWM over `pid` (this process) and all its descendants."""
    root = pid or os.getpid()
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        kids = [p for p, pp in parents.items() if pp in frontier and p not in tree]
        tree.update(kids)
        frontier = kids
    total = 0
    for p in tree:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _profile() -> Any:
    from cxloop.config import SourceProfile

    return SourceProfile(kind="message", map=MAPPING)


def _lake_ws(root: Path, memory: str) -> Any:
    from cxloop.app import Workspace

    if not (root / "cxloop.toml").exists():
        Workspace.init(root).close()
        with (root / "cxloop.toml").open("a", encoding="utf-8") as fh:
            fh.write(SPARK_CONF.format(memory=memory))
    return Workspace.open(root)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _spark_start(ws: Any) -> float:
    from cxloop.app.lake import open_lake

    seconds, _ = _timed(lambda: open_lake(ws))
    return seconds


# -- ingest ------------------------------------------------------------------------------------------
def ingest_duckdb(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    from cxloop.app import Workspace
    from cxloop.app.ingest_service import ingest

    target = work / "duck"
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        root = target if not target.exists() else Path(tmp) / "ws"  # the first run builds the bench workspace
        with Workspace.init(root) as ws:
            seconds, counts = _timed(lambda: ingest(ws, csv, source="bench", profile=_profile()))
    return {"seconds": seconds, "counts": counts}


def ingest_spark(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    from cxloop.app.lake_ingest import ingest_lake

    target = work / "lake"
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        root = target if not target.exists() else Path(tmp) / "lake"
        ws = _lake_ws(root, memory)
        start = _spark_start(ws)
        stages: dict[str, float] = {}
        seconds, counts = _timed(lambda: ingest_lake(ws, str(csv), source="bench", profile=_profile(), timings=stages))
        peak = tree_peak_mb()
        ws.close()
    return {"seconds": seconds, "start_s": start, "counts": counts, "stages": stages, "peak_mb": peak}


def ingest_pandas(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    """What a script would do: read, parse times and scores, drop bad rows, keep the last of each order."""
    import pandas as pd

    def run() -> int:
        df = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
        at = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
        for fmt in FORMATS:
            at = at.fillna(pd.to_datetime(df["时间"], format=fmt, errors="coerce"))
        nps = pd.to_numeric(df["打分"], errors="coerce")
        df = df.assign(occurred_at=at, nps=nps)[at.notna() & nps.between(0, 10)]
        df = df.drop_duplicates("订单号", keep="last")
        df.to_parquet(work / "pandas_out.parquet")
        return len(df)

    seconds, rows = _timed(run)
    return {"seconds": seconds, "rows_out": rows}


def ingest_polars(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    import polars as pl

    def run() -> int:
        df = pl.read_csv(csv, infer_schema_length=0)
        at = pl.coalesce([pl.col("时间").str.strptime(pl.Datetime, f, strict=False) for f in FORMATS])
        df = df.with_columns(at.alias("occurred_at"), pl.col("打分").cast(pl.Float64, strict=False).alias("nps"))
        df = df.filter(pl.col("occurred_at").is_not_null() & pl.col("nps").is_between(0, 10))
        df = df.unique(subset="订单号", keep="last", maintain_order=True)
        df.write_parquet(work / "polars_out.parquet")
        return int(df.height)

    seconds, rows = _timed(run)
    return {"seconds": seconds, "rows_out": rows}


def ingest_sparksql(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    """A hand-written Spark SQL job: read the CSV, parse, validate, keep the last row per order, write
    Parquet partitioned by month (no identities, no rejects kept, no raw rows)."""
    from cxloop.engines.spark_engine import spark_session

    start, spark = _timed(lambda: spark_session("local[2]", {"spark.driver.memory": memory,
                                                            "spark.sql.shuffle.partitions": "4"}))

    def run() -> int:
        spark.read.option("header", True).csv(str(csv)).createOrReplaceTempView("src")
        formats = ", ".join(f"try_to_timestamp(`时间`, '{f}')" for f in
                            ("yyyy-MM-dd HH:mm:ss", "yyyy/MM/dd HH:mm", "yyyy年M月d日 HH:mm"))
        out = spark.sql(f"""
            SELECT * FROM (
              SELECT *, row_number() OVER (PARTITION BY `订单号` ORDER BY pos DESC) AS k FROM (
                SELECT *, coalesce({formats}) AS occurred_at, try_cast(`打分` AS DOUBLE) AS nps,
                       monotonically_increasing_id() AS pos FROM src))
            WHERE k = 1 AND occurred_at IS NOT NULL AND nps BETWEEN 0 AND 10""").drop("k", "pos")
        out = out.withColumn("month", out["occurred_at"].cast("string").substr(1, 7))
        target = work / "sparksql_out"
        shutil.rmtree(target, ignore_errors=True)
        out.write.partitionBy("month").parquet(str(target))
        return int(spark.read.parquet(str(target)).count())

    seconds, rows = _timed(run)
    return {"seconds": seconds, "start_s": start, "rows_out": rows, "peak_mb": tree_peak_mb()}
