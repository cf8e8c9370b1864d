"""Demo data generation: `generate_demo` (records + events, all files written) vs a per-row Python script.

    .venv/bin/python -m benchmarks.bench_demo [--records 1000000] [--repeat 3] [--baseline-rows 200000]
                                             [--no-append]

Each run is a fresh child process writing into benchmarks/.data/demo_<n>/ (generation only; ingest is
timed by the ingest benchmark). Peak RSS is the child's `ru_maxrss` (os.wait4). The alternative is what a
hand-written generator usually looks like: per row `random.choice` of each field, `strftime` and
`csv.writer` — one file of review-like rows (10 columns, no events, no planted truth, no noise), measured
in rows/s at a smaller size. The target from issue 2: 1M records with their events in < 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / ".data"
ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys, time
from pathlib import Path
from cxloop.demo.generator import generate_demo
t = time.perf_counter()
r = generate_demo(Path(sys.argv[1]), records=int(sys.argv[2]), seed=7)
total = time.perf_counter() - t
rows = {s: c["rows"] for s, c in r.counts.items()}
size = sum(p.stat().st_size for p in r.files.values())
print(json.dumps({"total": total, **r.timings, "rows": rows, "bytes": size}))
"""

_BASELINE = """
import csv, random, sys, time
from datetime import datetime, timedelta
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(7)
products = ["X5 Pro", "X5", "Note 12", "Buds Pro 2", "Buds Air", "Watch S3", "Robo V8", "Vision 65", "Vision 75", "AX6"]
texts = ["物流太慢了", "质量很好，做工扎实", "蓝牙老是断连", "客服态度敷衍", "一般般吧", "续航太拉胯了"]
regions = ["广东", "江苏", "浙江", "北京", "上海", "四川"]
start = datetime(2026, 5, 1)
t = time.perf_counter()
with open(path, "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh)
    w.writerow(["评价ID", "订单号", "评价时间", "账号", "型号", "评分", "评价内容", "地区", "手机", "有用数"])
    for i in range(n):
        when = start + timedelta(seconds=random.randrange(184 * 86400))
        w.writerow([i, f"JD{random.randrange(10**12):012d}", when.strftime("%Y-%m-%d %H:%M:%S"),
                    f"jd_{random.randrange(16**10):010x}", random.choice(products), random.randint(1, 5),
                    random.choice(texts) + random.choice(["", "！", "😊"]), random.choice(regions),
                    f"1{random.randrange(3, 10)}{random.randrange(10**9):09d}", random.randrange(50)])
print(time.perf_counter() - t)
"""


def _child(code: str, *args: str) -> tuple[str, float]:
    """Run python code in a fresh process; return stdout and its peak RSS in MiB."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, cwd=ROOT, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"child failed with exit code {proc.returncode}")
    return out, usage.ru_maxrss / 1024


def _machine() -> str:
    mem = "?"
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024**2:.0f} GiB"
    load = os.getloadavg()[0]
    return f"{platform.platform()} · {os.cpu_count()} cores · {mem} RAM · load avg {load:.1f} at start"


def run(records: int, repeat: int, baseline_rows: int) -> dict[str, Any]:
    DATA.mkdir(parents=True, exist_ok=True)
    folder = DATA / f"demo_{records}"
    runs = []
    for _ in range(repeat):
        shutil.rmtree(folder, ignore_errors=True)
        out, rss = _child(_CHILD, str(folder), str(records))
        runs.append({**json.loads(out), "rss_mib": rss})
    base_s, base_rss = _child(_BASELINE, str(baseline_rows), str(DATA / "baseline_reviews.csv"))
    rows = runs[0]["rows"]
    events = sum(v for k, v in rows.items() if k.endswith("_events"))
    med = {k: statistics.median(r[k] for r in runs) for k in ("total", "records", "record_files", "event_files")}
    return {"records": records, "repeat": repeat, "runs": runs, "median": med, "rows_total": sum(rows.values()),
            "event_rows": events, "mib": runs[0]["bytes"] / 2**20, "rss_mib": max(r["rss_mib"] for r in runs),
            "baseline_rows": baseline_rows, "baseline_s": float(base_s), "baseline_rss_mib": base_rss}


def _table(res: dict[str, Any]) -> list[str]:
    m = res["median"]
    rate = res["rows_total"] / m["total"]
    base_rate = res["baseline_rows"] / res["baseline_s"]
    return [
        f"| what | rows written | median s (of {res['repeat']}) | rows/s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|",
        f"| cxloop `generate_demo`, {res['records']:,} records + {res['event_rows']:,} events, 13 files "
        f"({res['mib']:.0f} MiB) | {res['rows_total']:,} | {m['total']:.1f} | {rate:,.0f} | {res['rss_mib']:.0f} |",
        f"| &nbsp;&nbsp;stage: records, planted truths, texts | | {m['records']:.1f} | | |",
        f"| &nbsp;&nbsp;stage: 10 record exports (derive ids, bad rows, CSV/GBK/XLSX/JSONL) | | "
        f"{m['record_files']:.1f} | | |",
        f"| &nbsp;&nbsp;stage: 3 event exports (IVR, CRM cases, orders) | | {m['event_files']:.1f} | | |",
        f"| per-row Python (`random` + `csv.writer`), 1 file of review-like rows | {res['baseline_rows']:,} | "
        f"{res['baseline_s']:.1f} | {base_rate:,.0f} | {res['baseline_rss_mib']:.0f} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-rows", type=int, default=200_000)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    machine = _machine()
    started = time.strftime("%Y-%m-%d %H:%M")
    res = run(args.records, args.repeat, args.baseline_rows)
    lines = _table(res)
    print("\n".join(lines))
    if args.no_append:
        return
    cmd = f".venv/bin/python -m benchmarks.bench_demo --records {args.records} --repeat {args.repeat}"
    section = [
        "", f"## Demo data generation (`benchmarks/bench_demo.py`, {started})", "",
        f"Machine: {machine}. Command: `{cmd}`. Each run a fresh process; generation only (ingest is "
        "timed separately). Target (issue 2): 1M records with their events in < 60 s.", "", *lines, "",
    ]
    with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
        fh.write("\n".join(section))


if __name__ == "__main__":
    main()
