"""Managing by the loop on a 1M-record demo workspace: `integrity run`, `stars` and `initiatives progress`.

    .venv/bin/python -m benchmarks.run manage [--repeat 3] [--no-append]

The workspace (`benchmarks/.data/manage-1m/ws`, reused between runs) is the demo company with 1,000,000
records (seed 7), enriched, with the pain point's wording declared as a topic and one initiative on the
planted fix (two key results: the topic's mention share and NPS on the planted product's NPS survey).
Each case runs in a fresh process per repetition (`measure_child`); the child times only the app call,
after opening the workspace.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.run import ROOT, measure_child, median

TITLE = "Managing by the loop: integrity run, stars, initiatives progress (1M demo records)"
NOTES = ("Demo workspace of 1,000,000 records (seed 7), enriched; one initiative with two key results "
         "(mention share and NPS, before/after the planted fix with the other products as comparison). "
         "Each case in a fresh process; the time is the app call alone (workspace already open); cpu_s is the "
         "process's CPU time (all DuckDB threads) and load the 1-minute load average at the end of the call, "
         "since the machine is shared.")
RECORDS = 1_000_000
SEED = 7
FOLDER = ROOT / "benchmarks" / ".data" / "manage-1m"
PATTERN = ("(装|安装).{0,12}(等|没人|没来|排期|排队|干等|改.{0,2}次)|(等|没人来|排期|排队).{0,10}装(?!修)"
           "|(催|约|预约).{0,4}安装|安装预约")


def prepare() -> Path:
    """Build the workspace once (about 15 minutes on 2 cores, mostly enrichment)."""
    ws_root = FOLDER / "ws"
    if (FOLDER / "ready.json").is_file():
        return ws_root
    from cxloop.app import Workspace
    from cxloop.app import initiatives_service as ini
    from cxloop.app.demo_service import SummarySection, build_demo
    from cxloop.app.text_catalog_service import import_topics
    from cxloop.app.text_service import enrich

    FOLDER.mkdir(parents=True, exist_ok=True)
    topic = FOLDER / "topic.toml"
    topic.write_text('[[topics]]\ntopic_id = "installation.wait"\nparent_id = "installation"\nname_zh = "安装等待"\n'
                     f'name_en = "Waiting for installation"\npattern = "{PATTERN}"\n', encoding="utf-8")
    out = build_demo(ws_root, records=RECORDS, seed=SEED, force=True, sections=[
        SummarySection("topic", lambda ws: import_topics(ws, topic)),
        SummarySection("enrichment", lambda ws: enrich(ws)),
    ])
    fix = json.loads(Path(out["ground_truth"]).read_text(encoding="utf-8"))["pain_point_fix"]
    with Workspace.open(ws_root) as ws:
        made = ini.create_initiative(ws, title="安装等待", owner_department="Installation Service",
                                     product=fix["product"], change_date=fix["fix_date"])
        where = [f"source={fix['source']}", f"product={fix['product']}"]
        ini.add_key_result(ws, made["initiative_id"], metric="mention_share", topic="installation.wait", where=where)
        ini.add_key_result(ws, made["initiative_id"], metric="nps", where=where)
    (FOLDER / "ready.json").write_text(json.dumps({"initiative": made["initiative_id"], "fix": fix}), encoding="utf-8")
    return ws_root


def _child(case: str) -> None:
    """One case in this process: open the workspace, time the app call, print one JSON line."""
    from cxloop.app import Workspace
    from cxloop.app import initiatives_service as ini
    from cxloop.app import integrity_service as integ
    from cxloop.app.stars_service import compute_stars

    ws_root = FOLDER / "ws"
    ready = json.loads((FOLDER / "ready.json").read_text(encoding="utf-8"))
    with Workspace.open(ws_root, read_only=case != "integrity run") as ws:
        rows = ws.con.execute("SELECT count(*) FROM records").fetchall()[0][0]
        t0, c0 = time.perf_counter(), time.process_time()
        if case == "integrity run":
            out: Any = integ.run_integrity(ws)
            detail = f"{out['flags']} flags, {out['records']} records"
        elif case == "stars":
            out = compute_stars(ws, month="2026-08", level="agent")
            detail = f"{len(out['stars'])} agents"
        else:
            out = ini.initiative_progress(ws, ready["initiative"])
            detail = f"{len(out['initiatives'][0]['key_results'])} key results"
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "load": os.getloadavg()[0], "rows": rows, "detail": detail,
                      "peak_rss_mb": rss}))


CASES = ("integrity run", "stars", "initiatives progress")


def run(repeat: int = 3) -> list[dict[str, Any]]:
    prepare()
    out = []
    for case in CASES:
        runs = measure_child(["benchmarks.bench_manage", "--child", case], repeat)
        out.append({"case": case, "rows": runs[0]["rows"], "runs": repeat,
                    "median_s": median([r["seconds"] for r in runs]),
                    "max_s": max(r["seconds"] for r in runs), "cpu_s": median([r["cpu_s"] for r in runs]),
                    "load": median([r["load"] for r in runs]), "detail": runs[0]["detail"],
                    "peak_rss_mb": median([r["peak_rss_mb"] for r in runs])})
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
    else:
        prepare()
