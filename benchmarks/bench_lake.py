"""Ingest, enrichment, metrics, pain points and journeys on DuckDB and on a Spark lake (local mode), each
beside what a user would otherwise write: pandas and Polars scripts, a hand-written Spark SQL job, pm4py,
SnowNLP on a sample (its time for all rows extrapolated, and labelled so).

    make bench        # .venv/bin/python -m benchmarks.bench_lake              (1M rows, medians of 3)
    make bench-full   # .venv/bin/python -m benchmarks.bench_lake --rows 10000000 --repeat 1  (+ growth)

Data: the ingest benchmark's CSV (`bench_ingest.generate`: a message export with phones in several forms,
e-mails, repeated order ids, Chinese texts, 0.5% bad scores, three time formats) at `--rows`. The first
ingest runs build the bench workspaces (benchmarks/.data/lake_<rows>/duck and .../lake); later runs
ingest into fresh ones. Enrichment runs start from no enrichments. The scripts read Parquet copies of the
DuckDB workspace's records and enrichments. Each case is a fresh process; a case is run `--repeat` times
unless a run takes 60 s or more (then once); the median is reported. Spark cases report the session start
(`start_s`) apart from the work; peak RSS is the sum of the per-process peaks of the case's process tree
(driver, JVM, Python workers). With results of a run at a tenth of the rows present
(lake_results_<rows/10>.json), each case gets its growth factor (this median / that median).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from benchmarks import lake_cases, lake_queries
from benchmarks.bench_ingest import DATA, generate
from benchmarks.run import ROOT, append_section, machine, print_table

STEPS: dict[str, list[tuple[str, str]]] = {
    "ingest": [("cxloop ingest, DuckDB", "ingest_duckdb"), ("cxloop ingest, Spark lake", "ingest_spark"),
               ("pandas script", "ingest_pandas"), ("Polars script", "ingest_polars"),
               ("hand-written Spark SQL job", "ingest_sparksql")],
    "enrich": [("cxloop enrich, DuckDB (2 workers)", "enrich_duckdb"), ("cxloop enrich, Spark lake", "enrich_spark"),
               ("SnowNLP sentiment, 20k sample", "snownlp_sample")],
    "metrics": [("cxloop NPS by month x channel, DuckDB", "nps_duckdb"), ("cxloop NPS, Spark lake", "nps_spark"),
                ("pandas script", "nps_pandas"), ("Polars script", "nps_polars"),
                ("hand-written Spark SQL on the lake files", "nps_sparksql")],
    "painpoints": [("cxloop pain points (all time), DuckDB", "pain_duckdb"),
                   ("cxloop pain points, Spark lake", "pain_spark"), ("pandas script", "pain_pandas")],
    "journeys": [("cxloop channel flows per customer, DuckDB", "flows_duckdb"),
                 ("cxloop channel flows, Spark lake", "flows_spark"), ("pandas script", "flows_pandas"),
                 ("pm4py discover_dfg", "flows_pm4py")],
}
CASES = {name: getattr(lake_cases if name.startswith("ingest") else lake_queries, name)
         for cases in STEPS.values() for _, name in cases}
ONCE_AFTER_S = 60.0


def _child(case: str, rows: int, memory: str) -> None:
    csv = generate(rows)
    work = DATA / f"lake_{rows}"
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    out = CASES[case](csv, work, memory)
    out.setdefault("peak_mb", lake_cases.tree_peak_mb())
    print(json.dumps({**out, "load": load}, default=str))


def _measure(case: str, rows: int, repeat: int, memory: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_lake", "--child", case, "--rows", str(rows),
                               "--memory", memory], capture_output=True, text=True, cwd=ROOT, timeout=4 * 3600,
                              check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{case} failed: {proc.stderr.strip()[-3000:]}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"  {case}: {runs[-1]['seconds']:.2f} s (load {runs[-1]['load']:.1f})", file=sys.stderr)
        if runs[-1]["seconds"] >= ONCE_AFTER_S:
            break
    return runs


def _row(step: str, label: str, case: str, rows: int, runs: list[dict[str, Any]], before: dict[str, Any]) -> dict:
    m = statistics.median(r["seconds"] for r in runs)
    row: dict[str, Any] = {"step": step, "case": label, "rows": rows, "runs": len(runs), "median_s": m,
                           "rows_per_s": rows / m if case != "snownlp_sample" else runs[0]["sample"] / m,
                           "start_s": statistics.median(r["start_s"] for r in runs) if "start_s" in runs[0] else None,
                           "peak_rss_mb": statistics.median(r["peak_mb"] for r in runs),
                           "load": " / ".join(f"{r['load']:.1f}" for r in runs)}
    if case in before:
        row["growth"] = m / before[case]
    return row


def _notes(case: str, runs: list[dict[str, Any]], rows: int) -> str:
    first = runs[0]
    if case == "snownlp_sample":
        return (f"sample of {first['sample']:,}; EXTRAPOLATED to {rows:,} rows: "
                f"{first['seconds'] * rows / first['sample']:,.0f} s (not measured)")
    if "counts" in first:
        c = first["counts"]
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in first.get("stages", {}).items())
        return (f"inserted {c['inserted']:,}, updated {c['updated']:,}, rejected {c['rejected']:,}"
                + (f"; stages (first run): {stages}" if stages else ""))
    for key in ("enriched", "groups", "topics", "edges", "rows_out"):
        if key in first:
            return f"{key} {first[key]:,}"
    return ""


def run(rows: int, repeat: int, steps: list[str], memory: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    tenth = DATA / f"lake_results_{rows // 10}.json"  # growth is reported against a run at a tenth of the rows
    smaller = [rows // 10] if tenth.exists() else []
    before = json.loads(tenth.read_text()) if smaller else {}
    out, medians, exported = [], {}, False
    for step in steps:
        if step in ("metrics", "painpoints", "journeys") and not exported:
            lake_queries.export_for_scripts(DATA / f"lake_{rows}")
            exported = True
        for label, case in STEPS[step]:
            runs = _measure(case, rows, repeat, memory)
            row = _row(step, label, case, rows, runs, before.get("medians", {}))
            row["notes"] = _notes(case, runs, rows)
            out.append(row)
            medians[case] = row["median_s"]
    result = {"rows": rows, "medians": medians, "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if steps == list(STEPS):
        (DATA / f"lake_results_{rows}.json").write_text(json.dumps(result, indent=1))
    return out, {"smaller": smaller[-1] if smaller else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--memory", default="4g", help="Spark driver memory")
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--child", choices=sorted(CASES))
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.rows, args.memory)
        return
    steps = [s for s in args.steps.split(",") if s]
    line = machine()
    rows, meta = run(args.rows, args.repeat, steps, args.memory)
    print_table(rows)
    if not args.no_append:
        notes = (__doc__ or "").split("\n\n", 2)[2].strip()
        if meta["smaller"]:
            notes += f"\n\nGrowth = this median / the median at {meta['smaller']:,} rows (target: <= 12 for 10x rows)."
        command = " ".join(["python -m benchmarks.bench_lake", *sys.argv[1:]])
        append_section(f"Lake: DuckDB vs Spark local vs scripts at {args.rows:,} rows", rows, command, notes, line)


if __name__ == "__main__":
    main()
