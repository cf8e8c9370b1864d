"""The enrichment and analytics cases of `bench_lake` (each in a fresh process; see lake_cases)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.lake_cases import _lake_ws, _spark_start, _timed, tree_peak_mb

TZ = "Asia/Shanghai"
NPS_QUERY = {"metric": "nps", "by": "month,channel"}


def _duck(work: Path) -> Any:
    from cxloop.app import Workspace

    return Workspace.open(work / "duck")


def export_for_scripts(work: Path) -> None:
    """Parquet copies of the bench workspace's records and enrichments: what a pandas/Polars/pm4py script
    starts from (written once, after enrichment)."""
    with _duck(work) as ws:
        ws.con.execute(f"COPY (SELECT record_id, customer_id, channel, occurred_at, nps FROM records) "
                       f"TO '{work / 'records.parquet'}' (FORMAT parquet)")
        ws.con.execute(f"COPY (SELECT record_id, topic_id, sentiment FROM enrichments) "
                       f"TO '{work / 'enrichments.parquet'}' (FORMAT parquet)")


# -- enrichment --------------------------------------------------------------------------------------
def enrich_duckdb(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    from cxloop.app import text_service

    with _duck(work) as ws:
        ws.con.execute("DELETE FROM enrichments")
        seconds, out = _timed(lambda: text_service.enrich(ws, jobs=2))
    return {"seconds": seconds, "enriched": out["enriched"], "docs_per_s": out["docs_per_s"]}


def enrich_spark(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    from cxloop.app.lake import open_lake
    from cxloop.app.lake_enrich import enrich_lake

    ws = _lake_ws(work / "lake", memory)
    start = _spark_start(ws)
    lake = open_lake(ws)
    if lake.rows("enrichments"):  # start from none, as the DuckDB case does
        tx = lake.transaction("bench-reset")
        tx.remove("enrichments", [f.path for f in lake.snapshot.files("enrichments")])
        tx.commit({})
    seconds, out = _timed(lambda: enrich_lake(ws))
    peak = tree_peak_mb()
    ws.close()
    return {"seconds": seconds, "start_s": start, "enriched": out["enriched"], "peak_mb": peak}


def snownlp_sample(csv: Path, work: Path, memory: str, sample: int = 20_000) -> dict[str, Any]:
    """SnowNLP sentiment on the first `sample` texts (what a hand-written script would call per text)."""
    import pandas as pd
    from snownlp import SnowNLP

    texts = pd.read_csv(csv, usecols=["内容"], nrows=sample, dtype=str)["内容"].fillna("").tolist()
    seconds, _ = _timed(lambda: [SnowNLP(t).sentiments for t in texts if t])
    return {"seconds": seconds, "sample": len(texts), "docs_per_s": len(texts) / seconds}


# -- metrics ---------------------------------------------------------------------------------------------
def nps_duckdb(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    from cxloop.app import metrics_service as svc

    with _duck(work) as ws:
        seconds, out = _timed(lambda: svc.compute_metric(ws, NPS_QUERY))
    return {"seconds": seconds, "groups": len(out["rows"])}


def nps_spark(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    from cxloop.app import metrics_service as svc

    ws = _lake_ws(work / "lake", memory)
    start = _spark_start(ws)
    seconds, out = _timed(lambda: svc.compute_metric(ws, NPS_QUERY))
    return {"seconds": seconds, "start_s": start, "groups": len(out["rows"]), "peak_mb": tree_peak_mb()}


def nps_pandas(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    import pandas as pd

    def run() -> int:
        df = pd.read_parquet(work / "records.parquet", columns=["channel", "occurred_at", "nps"]).dropna(subset=["nps"])
        month = df["occurred_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.strftime("%Y-%m")
        g = df.assign(month=month, pro=df["nps"] >= 9, det=df["nps"] <= 6).groupby(["month", "channel"])
        out = g.agg(n=("nps", "size"), pro=("pro", "sum"), det=("det", "sum"))
        out["nps"] = 100.0 * (out["pro"] - out["det"]) / out["n"]
        return len(out)

    seconds, groups = _timed(run)
    return {"seconds": seconds, "groups": groups}


def nps_polars(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    import polars as pl

    def run() -> int:
        df = pl.read_parquet(work / "records.parquet", columns=["channel", "occurred_at", "nps"])
        out = (df.filter(pl.col("nps").is_not_null())
               .with_columns(pl.col("occurred_at").dt.replace_time_zone("UTC").dt.convert_time_zone(TZ)
                             .dt.strftime("%Y-%m").alias("month"))
               .group_by("month", "channel")
               .agg(pl.len().cast(pl.Int64).alias("n"), (pl.col("nps") >= 9).cast(pl.Int64).sum().alias("pro"),
                    (pl.col("nps") <= 6).cast(pl.Int64).sum().alias("det"))
               .with_columns((100.0 * (pl.col("pro") - pl.col("det")) / pl.col("n")).alias("nps")))
        return int(out.height)

    seconds, groups = _timed(run)
    return {"seconds": seconds, "groups": groups}


def nps_sparksql(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    """A hand-written Spark SQL query over the lake's records files."""
    from cxloop.app.lake import open_lake

    ws = _lake_ws(work / "lake", memory)
    start = _spark_start(ws)
    lake = open_lake(ws)

    def run() -> int:
        lake.read("records").createOrReplaceTempView("r")
        return len(lake.session.sql(f"""
            SELECT date_format(from_utc_timestamp(CAST(occurred_at AS TIMESTAMP), '{TZ}'), 'yyyy-MM') AS month,
                   channel, count(*) AS n,
                   100.0 * (sum(CASE WHEN nps >= 9 THEN 1 ELSE 0 END) - sum(CASE WHEN nps <= 6 THEN 1 ELSE 0 END))
                   / count(*) AS nps
            FROM r WHERE nps IS NOT NULL GROUP BY 1, 2""").collect())

    seconds, groups = _timed(run)
    return {"seconds": seconds, "start_s": start, "groups": groups, "peak_mb": tree_peak_mb()}


# -- pain points -----------------------------------------------------------------------------------------
def pain_duckdb(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    from cxloop.app import metrics_service as svc

    with _duck(work) as ws:
        seconds, out = _timed(lambda: svc.rank_painpoints(ws, since="all"))
    return {"seconds": seconds, "topics": len(out.get("painpoints", out.get("rows", [])))}


def pain_spark(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    from cxloop.app import metrics_service as svc

    ws = _lake_ws(work / "lake", memory)
    start = _spark_start(ws)
    seconds, out = _timed(lambda: svc.rank_painpoints(ws, since="all"))
    return {"seconds": seconds, "start_s": start, "topics": len(out.get("painpoints", out.get("rows", []))),
            "peak_mb": tree_peak_mb()}


def pain_pandas(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    """A script's pain-point table: per topic, volume, negative share and mean NPS, biggest first."""
    import pandas as pd

    def run() -> int:
        r = pd.read_parquet(work / "records.parquet", columns=["record_id", "nps"])
        e = pd.read_parquet(work / "enrichments.parquet").dropna(subset=["topic_id"])
        j = e.merge(r, on="record_id").assign(neg=lambda d: d["sentiment"] == "neg")
        out = j.groupby("topic_id").agg(volume=("record_id", "size"), neg=("neg", "mean"), nps=("nps", "mean"))
        return len(out.sort_values("volume", ascending=False))

    seconds, topics = _timed(run)
    return {"seconds": seconds, "topics": topics}


# -- journeys --------------------------------------------------------------------------------------------
def flows_duckdb(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    from cxloop.app import journeys_service as js

    with _duck(work) as ws:
        seconds, out = _timed(lambda: js.flows(ws, by="channel", per="customer"))
    return {"seconds": seconds, "edges": len(out["edges"])}


def flows_spark(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    from cxloop.app import journeys_service as js

    ws = _lake_ws(work / "lake", memory)
    start = _spark_start(ws)
    seconds, out = _timed(lambda: js.flows(ws, by="channel", per="customer"))
    return {"seconds": seconds, "start_s": start, "edges": len(out["edges"]), "peak_mb": tree_peak_mb()}


def flows_pandas(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    import pandas as pd

    def run() -> int:
        df = pd.read_parquet(work / "records.parquet", columns=["customer_id", "channel", "occurred_at"])
        df = df.dropna(subset=["customer_id"]).sort_values(["customer_id", "occurred_at"], kind="stable")
        nxt = df.groupby("customer_id")["channel"].shift(-1)
        return len(pd.DataFrame({"a": df["channel"], "b": nxt}).dropna().value_counts())

    seconds, edges = _timed(run)
    return {"seconds": seconds, "edges": edges}


def flows_pm4py(csv: Path, work: Path, memory: str) -> dict[str, Any]:
    import contextlib
    import sys

    import pandas as pd

    with contextlib.redirect_stdout(sys.stderr):
        import pm4py

    def run() -> int:
        df = pd.read_parquet(work / "records.parquet", columns=["customer_id", "channel", "occurred_at"])
        df = pm4py.format_dataframe(df.dropna(subset=["customer_id"]), case_id="customer_id", activity_key="channel",
                                    timestamp_key="occurred_at")
        dfg, _, _ = pm4py.discover_dfg(df)
        return len(dfg)

    seconds, edges = _timed(run)
    return {"seconds": seconds, "edges": edges}
