"""Directly-follows graph + top-20 variants: cxloop vs pm4py on the same event-log CSV.

    .venv/bin/python -m benchmarks.bench_journeys [--sizes 1000000,10000000] [--repeat 3]
                                                  [--pm4py-max-rows N] [--no-append]

The input is a synthetic event log (benchmarks/.data/journeys_<n>.csv, generated once, vectorised with
numpy): ~10 events per case from a 20-activity Markov chain, 15% `start` and 85% `complete` lifecycle
transitions, 10% zero-gap ties, rows sorted by time across cases (as exports usually are).

Both sides apply the same rule: activity = `concept:name`, case = `case:concept:name`, keep events whose
`lifecycle:transition` is `complete`, order by timestamp with ties in file order.
- pm4py (AGPL, installed only into the benchmark venv: `pip install pm4py`; never a cxloop dependency):
  parse = `pandas.read_csv` + `pm4py.format_dataframe`; compute = lifecycle filter + `pm4py.discover_dfg`
  (counts only) + `pm4py.get_variants` + top-20 sort.
- cxloop: parse = a bulk load of the CSV into a fresh workspace's `events` table with DuckDB `read_csv`
  (ids, seq, lifecycle into `attributes` — not the full `cxloop ingest` with hashing, raw JSON and identity
  resolution); compute = `journeys_service.flows` (counts *and* median seconds) + `variants(top=20)`,
  the same calls `cxloop journeys flows|variants --lifecycle complete` makes.
Each run is a fresh child process; peak RSS is the child's `ru_maxrss`. The results of both are compared
(edge counts and the top-20 variants must be equal).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

DATA = Path(__file__).resolve().parent / ".data"
ROOT = Path(__file__).resolve().parents[1]
CASE, ACT, TS, LIFE = "case:concept:name", "concept:name", "time:timestamp", "lifecycle:transition"


# -- data ------------------------------------------------------------------------------------------
def generate(n_events: int, path: Path, seed: int = 7) -> Path:
    """Write a synthetic log of about `n_events` rows (vectorised: one numpy step per position)."""
    rng = np.random.default_rng(seed)
    n_act, max_len = 20, 40
    trans = rng.dirichlet(np.full(n_act, 0.3), size=n_act)  # skewed transitions: few frequent variants
    cum = trans.cumsum(axis=1)
    lengths = np.clip(1 + rng.poisson(9, size=n_events // 10 + 1), 1, max_len)
    lengths = lengths[: np.searchsorted(lengths.cumsum(), n_events) + 1]
    n_cases = len(lengths)
    acts = np.zeros((n_cases, max_len), dtype=np.int16)
    acts[:, 0] = rng.integers(0, 3, size=n_cases)
    for k in range(1, max_len):
        u = rng.random(n_cases)
        acts[:, k] = (u[:, None] > cum[acts[:, k - 1]]).sum(axis=1).clip(0, n_act - 1)
    mask = np.arange(max_len)[None, :] < lengths[:, None]
    case_idx = np.broadcast_to(np.arange(n_cases)[:, None], (n_cases, max_len))[mask]
    act = acts[mask]
    gaps = rng.exponential(3600, size=mask.shape).round()
    gaps[rng.random(mask.shape) < 0.1] = 0
    gaps[:, 0] = rng.integers(0, 2 * 365 * 86400, size=n_cases)
    seconds = gaps.cumsum(axis=1)[mask].astype("int64") + 1_704_067_200  # from 2024-01-01
    order = np.argsort(seconds, kind="stable")
    names = np.array([f"A{i:02d} step {i}" for i in range(n_act)], dtype=object)
    table = pa.table({
        CASE: pa.array(np.char.add("case-", case_idx[order].astype(str))),
        ACT: pa.array(names[act[order]]),
        TS: pa.array(seconds[order].astype("datetime64[s]")).cast(pa.string()),
        LIFE: pa.array(np.where(rng.random(len(order)) < 0.15, "start", "complete")),
        "org:resource": pa.array(np.char.add("R", rng.integers(0, 50, len(order)).astype(str))),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path)
    return path


# -- children -------------------------------------------------------------------------------------
def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_cxloop(csv: Path) -> dict[str, Any]:
    from cxloop.app import Workspace
    from cxloop.app import journeys_service as js

    with tempfile.TemporaryDirectory() as tmp, Workspace.init(Path(tmp) / "ws") as ws:
        t0 = time.perf_counter()
        ws.con.execute(
            "INSERT INTO ingest_batches (batch_id, source, file, started_at) VALUES ('b1', 'bench', ?, now())",
            [str(csv)],
        )
        ws.con.execute(f"""
            INSERT INTO events (event_id, source, kind, occurred_at, seq, batch_id, session_id, event_type,
                                agent_id, attributes, raw, row_hash, ingested_at, updated_at)
            SELECT 'e' || seq, 'bench', 'event', ts, seq, 'b1', "{CASE}", "{ACT}", "org:resource",
                   json_object('{LIFE}', "{LIFE}"), '{{}}', '', now(), now()
            FROM (SELECT *, CAST("{TS}" AS TIMESTAMP) AS ts, row_number() OVER () - 1 AS seq
                  FROM read_csv(?, all_varchar = true))""", [str(csv)])
        t1 = time.perf_counter()
        flows = js.flows(ws, by="event_type", per="session", lifecycle="complete")
        variants = js.variants(ws, by="event_type", per="session", lifecycle="complete", top=20)
        t2 = time.perf_counter()
    return {
        "parse_s": t1 - t0, "compute_s": t2 - t1, "rss_mb": _rss_mb(),
        "dfg": {f"{e['from']}>{e['to']}": e["count"] for e in flows["edges"]},
        "top": [[v["path"], v["count"]] for v in variants["variants"]],
    }


def child_pm4py(csv: Path) -> dict[str, Any]:
    import pandas as pd

    with contextlib.redirect_stdout(sys.stderr):  # pm4py prints a banner on import
        import pm4py

    t0 = time.perf_counter()
    df = pd.read_csv(csv, dtype={CASE: str, ACT: str, LIFE: str, "org:resource": str})
    df = pm4py.format_dataframe(df, case_id=CASE, activity_key=ACT, timestamp_key=TS)
    t1 = time.perf_counter()
    df = df[df[LIFE] == "complete"]
    dfg, _start, _end = pm4py.discover_dfg(df, activity_key=ACT, case_id_key=CASE, timestamp_key=TS)
    found = pm4py.get_variants(df, activity_key=ACT, case_id_key=CASE, timestamp_key=TS)
    counted = {k: (len(v) if isinstance(v, list) else int(v)) for k, v in found.items()}
    top = sorted(counted.items(), key=lambda kv: (-kv[1], list(kv[0])))[:20]
    t2 = time.perf_counter()
    return {
        "parse_s": t1 - t0, "compute_s": t2 - t1, "rss_mb": _rss_mb(),
        "dfg": {f"{a}>{b}": int(c) for (a, b), c in dfg.items()},
        "top": [[list(k), c] for k, c in top],
    }


def run_child(tool: str, csv: Path, timeout: float) -> dict[str, Any] | None:
    cmd = [sys.executable, "-m", "benchmarks.bench_journeys", "--child", tool, "--file", str(csv)]
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=True)
    except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
        print(f"  {tool} on {csv.name} failed: {type(exc).__name__}: {str(getattr(exc, 'stderr', ''))[-300:]}")
        return None
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# -- harness --------------------------------------------------------------------------------------
def measure(tool: str, csv: Path, repeat: int, timeout: float) -> dict[str, Any] | None:
    runs = [r for r in (run_child(tool, csv, timeout) for _ in range(repeat)) if r is not None]
    if not runs:
        return None
    med = {k: statistics.median(r[k] for r in runs) for k in ("parse_s", "compute_s", "rss_mb")}
    med["total_s"] = statistics.median(r["parse_s"] + r["compute_s"] for r in runs)
    return {**med, "runs": len(runs), "dfg": runs[0]["dfg"], "top": runs[0]["top"]}


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    uname = platform.uname()
    return f"{uname.system} {uname.release} {uname.machine}, {os.cpu_count()} CPUs, {mem:.0f} GiB"


def report(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        "## Journeys: directly-follows graph + top-20 variants, cxloop vs pm4py",
        "",
        f"Machine: {machine()}; load average at start {os.getloadavg()[0]:.1f} (other jobs shared the machine).",
        f"Command: `.venv/bin/python -m benchmarks.bench_journeys --sizes {args.sizes} --repeat {args.repeat}`",
        "Same CSV for both; activity = concept:name, lifecycle:transition == complete; medians of the runs.",
        "cxloop parse = DuckDB bulk load into the workspace `events` table (not the full `cxloop ingest`);",
        "cxloop compute = flows (counts + median seconds) + variants; pm4py = read_csv + format_dataframe,",
        "then discover_dfg (counts only) + get_variants.",
        "",
        "| events | tool | runs | parse s | compute s | total s | peak RSS MB | speed-up compute "
        "| speed-up total | same result |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['events']:,} | {r['tool']} | {r['runs']} | {r['parse_s']:.2f} | {r['compute_s']:.2f} | "
            f"{r['total_s']:.2f} | {r['rss_mb']:.0f} | {r.get('x_compute', '')} | {r.get('x_total', '')} | "
            f"{r.get('same', '')} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["cxloop", "pm4py"])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pm4py-max-rows", type=int, default=10_000_000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    if args.child:
        result = child_cxloop(args.file) if args.child == "cxloop" else child_pm4py(args.file)
        print(json.dumps(result))
        return
    rows: list[dict[str, Any]] = []
    for n in (int(s) for s in args.sizes.split(",")):
        csv = DATA / f"journeys_{n}.csv"
        if not csv.exists():
            print(f"generating {csv} ...")
            generate(n, csv)
        events = sum(1 for _ in csv.open("rb")) - 1
        cx = measure("cxloop", csv, args.repeat, args.timeout)
        pm = measure("pm4py", csv, args.repeat, args.timeout) if n <= args.pm4py_max_rows else None
        if cx:
            row = {"events": events, "tool": "cxloop", **cx}
            if pm:
                row["x_compute"] = f"{pm['compute_s'] / cx['compute_s']:.1f}x"
                row["x_total"] = f"{pm['total_s'] / cx['total_s']:.1f}x"
                row["same"] = "yes" if cx["dfg"] == pm["dfg"] and cx["top"] == pm["top"] else "NO"
            rows.append(row)
        if pm:
            rows.append({"events": events, "tool": "pm4py", **pm})
        print(report(rows, args))
    text = report(rows, args)
    print(text)
    if not args.no_append:
        with (ROOT / "BENCHMARKS.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
