"""Ingest of a 1M-row CSV end to end, per stage, beside DuckDB's read_csv (the floor) and pandas.

`.venv/bin/python -m benchmarks.run ingest` (or `-m benchmarks.bench_ingest`). Cases, each a fresh process
and a fresh database file, medians of `repeat` runs, peak RSS of the process:

- cxloop ingest: `ingest(ws, file, profile=...)` into a new workspace: read + decode, map/parse/validate,
  normalise identifiers, hash ids, keep the raw row as JSON, judge new/updated/unchanged, identity
  resolution, commit. Stage times come from `ingest(..., timings=...)`.
- cxloop re-ingest: the same file again into that workspace (rows come back `unchanged`).
- DuckDB read_csv: `CREATE TABLE t AS SELECT * FROM read_csv(file)` into a new database file: the floor.
- pandas: `read_csv(dtype=str)` then the DataFrame into a new DuckDB table (what a script would do).

The CSV (benchmarks/.data/, generated once, deterministic per seed) looks like a message export: phones
in several notations (some shared by many rows, so identities merge), e-mails on 60% of rows, order ids
(1% repeated: updates within the file), Chinese texts with quotes and commas, NPS 0–10 with 0.5% bad
values (rejects), times in ISO and Chinese forms, products and channels.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.run import ROOT, measure_child, median

TITLE = "Ingest: 1M-row CSV end to end vs DuckDB read_csv (floor) vs pandas read_csv + insert"
NOTES = (
    "Each case runs in a fresh process into a fresh database file; medians of the runs; peak RSS is the "
    "process's own (`getrusage`); cpu_s is the median CPU time (user + system, all threads) of the timed "
    "work and `load` the 1-minute load average as each run started (the machine is shared). "
    "cxloop ingest = read + decode, map/parse/validate, normalise identifiers, "
    "hash ids, raw row as JSON, judge new/updated/unchanged, identity resolution, commit; its stage rows are "
    "medians of `ingest(..., timings=...)`. Target (issue 2): >= 250,000 rows/s end to end on 2 cores."
)
DATA = ROOT / "benchmarks" / ".data"
COLUMNS = ["手机", "邮箱", "订单号", "内容", "打分", "时间", "型号", "渠道"]
MAPPING = {"phone": "手机", "email": "邮箱", "source_key": "订单号", "text": "内容", "nps": "打分",
           "occurred_at": "时间", "product": "型号", "channel": "渠道"}
_TEXTS = ["送货很快，包装完好", "售后电话一直占线，等了半小时", "屏幕有坏点，申请换货", "客服态度很好 👍",
          "充电很慢,不满意", "安装师傅迟到了两个小时", "说明书看不懂 \"高级模式\" 怎么开", "价格 OK, quality so-so"]
_CHANNELS = ["hotline", "chat", "app", "wechat", "email", "ecommerce_review", "survey", "social"]


def _stamp(second: int, form: float) -> str:
    t = time.gmtime(1_767_225_600 + second)  # 2026-01-01 00:00:00
    if form < 0.9:
        return time.strftime("%Y-%m-%d %H:%M:%S", t)
    if form < 0.95:
        return time.strftime("%Y/%m/%d %H:%M", t)
    return f"{t.tm_year}年{t.tm_mon}月{t.tm_mday}日 {t.tm_hour:02d}:{t.tm_min:02d}"


def generate(rows: int = 1_000_000, seed: int = 7) -> Path:
    """Write (once) the deterministic benchmark CSV for `rows` and `seed`; return its path.

    Random draws are vectorised (numpy); rows are formatted by the csv module (quoting only when needed,
    as spreadsheet exports do). A one-off: the file is cached under benchmarks/.data/.
    """
    path = DATA / f"ingest_{rows}_s{seed}.csv"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, max(rows * 6 // 10, 1), rows)
    number = 13_000_000_000 + customer * 7919 % 1_000_000_000
    style, has_email, form, bad = rng.random(rows), rng.random(rows) < 0.6, rng.random(rows), rng.random(rows)
    order = np.arange(rows)
    repeat = rng.random(rows) < 0.01
    order[repeat] = rng.integers(0, rows, int(repeat.sum()))
    text, nps = rng.integers(0, len(_TEXTS), rows), rng.integers(0, 11, rows)
    product, channel = rng.integers(0, 50, rows), rng.integers(0, len(_CHANNELS), rows)
    prefix = np.where(style < 0.05, "+86 ", np.where(style < 0.08, "0086-", ""))
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for i in range(rows):
            score = "11" if bad[i] < 0.003 else "x" if bad[i] < 0.005 else str(nps[i])
            out.writerow([
                f"{prefix[i]}{number[i]}", f"user{customer[i]}@example.com" if has_email[i] else "",
                f"order-{order[i]}", f"{_TEXTS[text[i]]} #{i}", score, _stamp(i * 17, form[i]),
                f"P{product[i]}", _CHANNELS[channel[i]],
            ])
    tmp.rename(path)
    return path


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds (user + system, all threads) of this process so far: on a shared machine the load
    stretches wall time, much less the work done."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> float:
    return os.getloadavg()[0]


def child_cxloop(csv: Path) -> dict[str, Any]:
    import pandas  # noqa: F401  # imported at start-up by the CLI (cxloop.cli.main); imports are not timed

    from cxloop.app import Workspace
    from cxloop.app.ingest_service import ingest
    from cxloop.config import SourceProfile

    profile = SourceProfile(kind="message", map=MAPPING)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp, Workspace.init(Path(tmp) / "ws") as ws:
        first: dict[str, float] = {}
        load, cpu, start = _load(), _cpu_s(), time.perf_counter()
        counts = ingest(ws, csv, source="bench", profile=profile, timings=first)
        total, cpu = time.perf_counter() - start, _cpu_s() - cpu
        rss = _rss_mb()
        again: dict[str, float] = {}
        reload, recpu, start = _load(), _cpu_s(), time.perf_counter()
        recounts = ingest(ws, csv, source="bench", profile=profile, timings=again)
        retotal, recpu = time.perf_counter() - start, _cpu_s() - recpu
        customers = ws.con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
    return {"total": total, "cpu": cpu, "load": load, "stages": first, "counts": counts, "rss_mb": rss,
            "customers": customers, "re_total": retotal, "re_cpu": recpu, "re_load": reload, "re_stages": again,
            "re_counts": recounts, "re_rss_mb": _rss_mb()}


def child_duckdb(csv: Path) -> dict[str, Any]:
    import duckdb

    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        con = duckdb.connect(str(Path(tmp) / "floor.duckdb"))
        load, cpu, start = _load(), _cpu_s(), time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}')")
        con.execute("CHECKPOINT")
        total, cpu = time.perf_counter() - start, _cpu_s() - cpu
        n = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
        con.close()
    return {"total": total, "cpu": cpu, "load": load, "rows": n, "rss_mb": _rss_mb()}


def child_pandas(csv: Path) -> dict[str, Any]:
    import duckdb
    import pandas as pd

    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        con = duckdb.connect(str(Path(tmp) / "pandas.duckdb"))
        load, cpu, start = _load(), _cpu_s(), time.perf_counter()
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
        read = time.perf_counter() - start
        con.register("frame", frame)
        con.execute("CREATE TABLE t AS SELECT * FROM frame")
        con.execute("CHECKPOINT")
        total, cpu = time.perf_counter() - start, _cpu_s() - cpu
        con.close()
    return {"total": total, "cpu": cpu, "load": load, "read": read, "rows": len(frame), "rss_mb": _rss_mb()}


CHILDREN = {"cxloop": child_cxloop, "duckdb": child_duckdb, "pandas": child_pandas}


def _row(case: str, rows: int, results: list[dict[str, Any]], prefix: str = "") -> dict[str, Any]:
    m = median([r[prefix + "total"] for r in results])
    return {"case": case, "rows": rows, "runs": len(results), "median_s": m, "rows_per_s": rows / m,
            "cpu_s": median([r[prefix + "cpu"] for r in results]),
            "load": " / ".join(f"{r[prefix + 'load']:.1f}" for r in results),
            "peak_rss_mb": median([r[prefix + "rss_mb"] for r in results])}


def run(repeat: int = 3, rows: int = 1_000_000, seed: int = 7) -> list[dict[str, Any]]:
    """Median of `repeat` fresh-process runs per case; rows for benchmarks.run's table."""
    csv = generate(rows, seed)
    args = ["benchmarks.bench_ingest", "--file", str(csv), "--child"]
    ours = measure_child([*args, "cxloop"], repeat)
    floor = measure_child([*args, "duckdb"], repeat)
    pandas = measure_child([*args, "pandas"], repeat)
    c = ours[0]["counts"]
    out = [_row("cxloop ingest (end to end)", rows, ours)]
    out[0]["notes"] = (f"inserted {c['inserted']:,}, updated {c['updated']:,}, unchanged {c['unchanged']:,}, "
                       f"rejected {c['rejected']:,}; {ours[0]['customers']:,} customers")
    out += [{"case": f"  stage: {s}", "median_s": median([r["stages"].get(s, 0.0) for r in ours])}
            for s in ours[0]["stages"]]
    re = _row("cxloop re-ingest (same file again)", rows, ours, "re_")
    c = ours[0]["re_counts"]
    re["notes"] = (f"unchanged {c['unchanged']:,}, updated {c['updated']:,} (ids repeated in the file), "
                   f"rejected {c['rejected']:,}")
    out.append(re)
    out += [{"case": f"  stage: {s}", "median_s": median([r["re_stages"].get(s, 0.0) for r in ours])}
            for s in ours[0]["re_stages"]]
    for case, results in (("DuckDB read_csv -> table (floor)", floor), ("pandas read_csv + DuckDB insert", pandas)):
        out.append(_row(case, rows, results))
    out[-1]["notes"] = f"read_csv alone {median([r['read'] for r in pandas]):.2f} s"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--file", type=Path)
    args, rest = parser.parse_known_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.file), default=str))
        return
    from benchmarks.run import main as runner

    runner(["ingest", *rest])


if __name__ == "__main__":
    main()
