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
- cxloop, two ways, each against pm4py:
  (a) end to end from the CSV: load = DuckDB `read_csv` (typed columns) into a fresh workspace's `events`
      table (ids, seq = file row, lifecycle into `attributes`; not the full `cxloop ingest` with hashing,
      raw JSON and identity resolution), then compute;
  (b) compute alone on an already-loaded workspace (built once under benchmarks/.data/), in a fresh
      process: `journeys_service.flows` (counts *and* median seconds) + `variants(top=20)`, the same calls
      `cxloop journeys flows|variants --lifecycle complete` make, each scanning the workspace.
Each run is a fresh child process; peak RSS is the child's `ru_maxrss`. The results are compared (edge
counts and the top-20 variants must be equal).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
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


def load_log(ws: Any, csv: Path) -> None:
    """Bulk-load the CSV log into the workspace's events table (typed DuckDB read, seq = file row)."""
    columns = {CASE: "VARCHAR", ACT: "VARCHAR", TS: "TIMESTAMP", LIFE: "VARCHAR", "org:resource": "VARCHAR"}
    spec = ", ".join(f"'{k}': '{v}'" for k, v in columns.items())
    ws.con.execute(
        "INSERT INTO ingest_batches (batch_id, source, file, started_at) VALUES ('b1', 'bench', ?, now())",
        [str(csv)],
    )
    # A temporary table keeps file order, so its rowid is the row's position in the file (`seq`).
    ws.con.execute(f"CREATE TEMP TABLE log_rows AS SELECT * FROM read_csv(?, columns = {{{spec}}}, header = true)",
                   [str(csv)])
    ws.con.execute(f"""
        INSERT INTO events (event_id, source, kind, occurred_at, seq, batch_id, session_id, event_type,
                            agent_id, attributes, raw, row_hash, ingested_at, updated_at)
        SELECT 'e' || rowid, 'bench', 'event', "{TS}", rowid, 'b1', "{CASE}", "{ACT}", "org:resource",
               json_object('{LIFE}', "{LIFE}"), '{{}}', '', now(), now()
        FROM log_rows""")
    ws.con.execute("DROP TABLE log_rows")


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def compute(ws: Any, *, shared: bool = True) -> dict[str, Any]:
    """DFG + top-20 variants: one `sequence_log` for both (shared), or the two CLI-equivalent calls."""
    from cxloop.app import journeys_service as js

    rule = {"by": "event_type", "per": "session", "lifecycle": "complete"}
    if shared:
        log = js.sequence_log(ws, **rule)
        flows, variants = js.flows_from(log), js.variants_from(log, top=20)
    else:
        flows, variants = js.flows(ws, **rule), js.variants(ws, **rule, top=20)
    return {
        "dfg": {f"{e['from']}>{e['to']}": e["count"] for e in flows["edges"]},
        "top": [[v["path"], v["count"]] for v in variants["variants"]],
    }


def _import_libraries() -> None:
    """Import what cxloop's journeys use (Ibis' DuckDB backend, sqlglot, pandas) before the timer starts,
    as pm4py is imported before its timer: both sides are timed without library import time."""
    import importlib

    for module in ("cxloop.app.journeys_service", "ibis.backends.duckdb", "sqlglot.dialects.duckdb", "pandas"):
        importlib.import_module(module)


def workspace_path(csv: Path) -> Path:
    return csv.with_name(csv.stem + "_ws")


def child_cxloop(csv: Path) -> dict[str, Any]:
    """(a) end to end: load the CSV into a fresh workspace, then compute (one sequence log)."""
    from cxloop.app import Workspace

    _import_libraries()

    with tempfile.TemporaryDirectory() as tmp, Workspace.init(Path(tmp) / "ws") as ws:
        t0 = time.perf_counter()
        load_log(ws, csv)
        t1, c1 = time.perf_counter(), _cpu_s()
        result = compute(ws)
        t2, c2 = time.perf_counter(), _cpu_s()
    return {"parse_s": t1 - t0, "compute_s": t2 - t1, "cpu_s": c2 - c1, "rss_mb": _rss_mb(), **result}


def _on_loaded(csv: Path, shared: bool) -> dict[str, Any]:
    from cxloop.app import Workspace

    _import_libraries()

    with Workspace.open(workspace_path(csv)) as ws:
        t0, c0 = time.perf_counter(), _cpu_s()
        result = compute(ws, shared=shared)
        t1, c1 = time.perf_counter(), _cpu_s()
    return {"parse_s": 0.0, "compute_s": t1 - t0, "cpu_s": c1 - c0, "rss_mb": _rss_mb(), **result}


def child_cxloop_compute(csv: Path) -> dict[str, Any]:
    """(b) compute alone on the workspace loaded beforehand (`build_workspace`): one sequence log."""
    return _on_loaded(csv, shared=True)


def child_cxloop_calls(csv: Path) -> dict[str, Any]:
    """(b') compute alone as `cxloop journeys flows` + `variants` do it: two calls, each scanning."""
    return _on_loaded(csv, shared=False)


def child_cxloop_log(csv: Path) -> dict[str, Any]:
    """(c) `cxloop journeys flows|variants --log FILE`: no workspace; DuckDB reads and filters the file."""
    _import_libraries()
    from cxloop.app import journeys_service as js
    from cxloop.app.journeys_log import log_sequences

    t0 = time.perf_counter()
    log = log_sequences(csv, lifecycle="complete")
    t1, c1 = time.perf_counter(), _cpu_s()
    flows, variants = js.flows_from(log), js.variants_from(log, top=20)
    t2, c2 = time.perf_counter(), _cpu_s()
    return {
        "parse_s": t1 - t0, "compute_s": t2 - t1, "cpu_s": c2 - c1, "rss_mb": _rss_mb(),
        "dfg": {f"{e['from']}>{e['to']}": e["count"] for e in flows["edges"]},
        "top": [[v["path"], v["count"]] for v in variants["variants"]],
    }


def build_workspace(csv: Path) -> dict[str, Any]:
    from cxloop.app import Workspace

    path = workspace_path(csv)
    if path.exists():
        shutil.rmtree(path)
    with Workspace.init(path) as ws:
        load_log(ws, csv)
    return {"built": str(path)}


def child_pm4py(csv: Path) -> dict[str, Any]:
    import pandas as pd

    with contextlib.redirect_stdout(sys.stderr):  # pm4py prints a banner on import
        import pm4py

    t0 = time.perf_counter()
    df = pd.read_csv(csv, dtype={CASE: str, ACT: str, LIFE: str, "org:resource": str})
    df = pm4py.format_dataframe(df, case_id=CASE, activity_key=ACT, timestamp_key=TS)
    t1, c1 = time.perf_counter(), _cpu_s()
    df = df[df[LIFE] == "complete"]
    dfg, _start, _end = pm4py.discover_dfg(df, activity_key=ACT, case_id_key=CASE, timestamp_key=TS)
    found = pm4py.get_variants(df, activity_key=ACT, case_id_key=CASE, timestamp_key=TS)
    counted = {k: (len(v) if isinstance(v, list) else int(v)) for k, v in found.items()}
    top = sorted(counted.items(), key=lambda kv: (-kv[1], list(kv[0])))[:20]
    t2, c2 = time.perf_counter(), _cpu_s()
    return {
        "parse_s": t1 - t0, "compute_s": t2 - t1, "cpu_s": c2 - c1, "rss_mb": _rss_mb(),
        "dfg": {f"{a}>{b}": int(c) for (a, b), c in dfg.items()},
        "top": [[list(k), c] for k, c in top],
    }


CHILDREN = {"cxloop": child_cxloop, "cxloop-compute": child_cxloop_compute, "cxloop-calls": child_cxloop_calls,
            "cxloop-log": child_cxloop_log, "pm4py": child_pm4py, "build": build_workspace}


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
    med = {k: statistics.median(r[k] for r in runs) for k in ("parse_s", "compute_s", "cpu_s", "rss_mb")}
    med["total_s"] = statistics.median(r["parse_s"] + r["compute_s"] for r in runs)
    return {**med, "runs": len(runs), "dfg": runs[0]["dfg"], "top": runs[0]["top"]}


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    uname = platform.uname()
    return f"{uname.system} {uname.release} {uname.machine}, {os.cpu_count()} CPUs, {mem:.0f} GiB"


TITLE = "## Journeys: directly-follows graph + top-20 variants, cxloop vs pm4py"
CASES = {"cxloop": "cxloop (a) load CSV + compute", "cxloop-compute": "cxloop (b) compute on loaded workspace",
         "cxloop-calls": "cxloop (b') flows + variants calls (2 scans)",
         "cxloop-log": "cxloop (c) `--log FILE`, no workspace", "pm4py": "pm4py read_csv/format + compute"}


def report(rows: list[dict[str, Any]], args: argparse.Namespace, loads: list[float]) -> str:
    load = f"{min(loads):.1f}-{max(loads):.1f}" if loads else "?"
    lines = [
        TITLE,
        "",
        f"Machine: {machine()}; load average {load} during the run (other jobs shared the",
        "2 cores: absolute times are inflated, compare within the run).",
        f"Command: `.venv/bin/python -m benchmarks.bench_journeys --sizes {args.sizes} --repeat {args.repeat}`",
        "Same CSV for all; activity = concept:name, lifecycle:transition == complete; medians of the runs, each",
        "a fresh process. (a) parse = DuckDB typed `read_csv` bulk load into a fresh workspace's `events` table",
        "(not the full `cxloop ingest`); compute = one `sequence_log` scan + sort, then `flows_from` (counts +",
        "median seconds) and `variants_from` top 20. (b) the same compute in a fresh process on a workspace",
        "loaded beforehand; (b') `flows` + `variants` as the two CLI commands run them, each scanning.",
        "(c) `cxloop journeys flows|variants --log FILE`: parse = DuckDB `read_csv` of the file + lifecycle",
        "filter + sort into sequences (no workspace), compute = `flows_from` + `variants_from` top 20.",
        "Library imports are outside the timers on both sides (pm4py's and cxloop's alike).",
        "pm4py parse = read_csv + format_dataframe, compute = discover_dfg (counts only) + get_variants.",
        "Speed-ups are pm4py's median over cxloop's, on compute and on total (parse + compute); CPU s = the",
        "compute's user + system CPU time (DuckDB uses both cores; pm4py one).",
        "",
        "| events | case | runs | parse s | compute s | compute CPU s | total s | peak RSS MB | x compute "
        "| x total | same result |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['events']:,} | {CASES[r['tool']]} | {r['runs']} | {r['parse_s']:.2f} | {r['compute_s']:.2f} | "
            f"{r['cpu_s']:.2f} | {r['total_s']:.2f} | {r['rss_mb']:.0f} | {r.get('x_compute', '')} | "
            f"{r.get('x_total', '')} | {r.get('same', '')} |"
        )
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace this benchmark's section of BENCHMARKS.md (re-read just before writing), else append it."""
    path = ROOT / "BENCHMARKS.md"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    start = current.find(TITLE)
    if start < 0:
        current = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(TITLE))
        current = current[:start] + text + ("" if end < 0 else current[end:])
    path.write_text(current, encoding="utf-8")


def compare(row: dict[str, Any], pm: dict[str, Any]) -> None:
    row["x_compute"] = f"{pm['compute_s'] / row['compute_s']:.1f}x"
    if row["parse_s"]:
        row["x_total"] = f"{pm['total_s'] / row['total_s']:.1f}x"
    row["same"] = "yes" if row["dfg"] == pm["dfg"] and row["top"] == pm["top"] else "NO"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--file", type=Path)
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pm4py-max-rows", type=int, default=10_000_000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--tools", default="cxloop,cxloop-compute,cxloop-calls,cxloop-log,pm4py",
                        help="which cases to run (comma-separated)")
    args = parser.parse_args(argv or [])
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.file)))
        return
    rows: list[dict[str, Any]] = []
    loads: list[float] = []
    for n in (int(s) for s in args.sizes.split(",")):
        csv = DATA / f"journeys_{n}.csv"
        if not csv.exists():
            print(f"generating {csv} ...")
            generate(n, csv)
        events = sum(1 for _ in csv.open("rb")) - 1
        run_child("build", csv, args.timeout)
        found: dict[str, dict[str, Any]] = {}
        for tool in args.tools.split(","):
            if tool == "pm4py" and n > args.pm4py_max_rows:
                continue
            loads.append(os.getloadavg()[0])
            result = measure(tool, csv, args.repeat, args.timeout)
            if result:
                found[tool] = {"events": events, "tool": tool, **result}
        for tool, row in found.items():
            if tool != "pm4py" and "pm4py" in found:
                compare(row, found["pm4py"])
            rows.append(row)
        print(report(rows, args, loads))
    text = report(rows, args, loads)
    print(text)
    if not args.no_append:
        write_section(text)


if __name__ == "__main__":
    main(sys.argv[1:])
