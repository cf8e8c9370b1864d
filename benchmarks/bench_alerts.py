"""`cxloop alerts run` on a 1M-record workspace: the first run over all history and an incremental run after
a 10k-record batch, side by side with the same Andon rule's counting written as one hand-written DuckDB
SQL query (the floor).

    .venv/bin/python -m benchmarks.run alerts [--repeat 3] [--no-append]

Data (benchmarks/.data/alerts_1000000/, generated once with DuckDB SQL): 1M records over 184 days, 10
products, 300k customers, 40% with an NPS answer; an enrichment per record (sentiment, a topic of the
shipped taxonomy for 80%, 6 tokens drawn from a Zipf-like vocabulary of 20k words) and a planted defect
(300 customers in one week on one product, words no history has). The batch adds 10k records (the
data's last day, 2% of them complaints).

Cases (each in a fresh child process, on a fresh copy of the workspace; the copy is not timed):
- `andon first` / `andon incremental`: `alerts run` with the Andon rule alone (topic and term paths, the
  base-rate tests, holds, evidence, compensation cases, the run's bookkeeping);
- `default first` / `default incremental`: the rule set `cxloop init` writes (Andon, repeat contacts,
  detractors, churn risk, SLA, emerging, NPS threshold and change);
- `floor (SQL)`: one DuckDB query that does the Andon rule's counting — reports, their terms (stopwords
  and generic words removed), distinct customers per product and issue in every trailing 7-day window,
  the 56-day history and the other products' count — and keeps the windows with >= 3 customers. It
  stops there: the exact tests, clustering of terms, holds and cases are not in it.
Targets (issue 11): incremental <= 2 s; first run <= 3x the floor.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.run import measure_child

TITLE = "Alerts: `alerts run` on 1M records (first and incremental) vs the Andon rule's counting in SQL"
NOTES = __doc__.split("Cases")[1].split("Targets")[0].strip() if __doc__ else ""
DATA = Path(__file__).resolve().parent / ".data"
ROWS = 1_000_000
BATCH = 10_000
ANDON_ONLY = """[alerts]
deliver_recent_days = 7
[[alerts.rules]]
name = "andon"
kind = "andon"
"""


def generate(folder: Path, rows: int = ROWS) -> Path:
    """The base workspace (built once)."""
    from cxloop.app import Workspace
    from cxloop.app.text_service import sync_taxonomy

    base = folder / "base"
    if (folder / "done").exists():
        return base
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with Workspace.init(base) as ws:
        topics = [t.topic_id for t in sync_taxonomy(ws).topics if "." in t.topic_id]
        con = ws.con
        con.execute(_records_sql(rows, "TIMESTAMP '2026-05-01'", 184, "'2026-11-01'")).fetchall()
        con.execute(_enrich_sql(topics), []).fetchall()
        _plant(con, rows)
    (folder / "done").write_text("ok")
    return base


def _records_sql(rows: int, start: str, days: int, stamp: str, offset: int = 0) -> str:
    return f"""
        INSERT INTO records BY NAME
        SELECT 'r' || i AS record_id, 'src' || (i % 5) AS source, 'app' AS channel,
               CASE WHEN hash(i * 3) % 50 = 0 THEN 'complaint' ELSE 'feedback' END AS kind,
               {start} + to_seconds((hash(i * 7) % ({days} * 86400))::BIGINT) AS occurred_at,
               i AS seq, 'b{offset}' AS batch_id, 'c' || (hash(i * 13) % 300000) AS customer_id,
               'P' || (hash(i * 17) % 10) AS product, 'text ' || i AS text,
               CASE WHEN hash(i * 19) % 10 < 4 THEN (hash(i * 23) % 11)::SMALLINT END AS nps,
               '{{}}' AS raw, 'h' AS row_hash, TIMESTAMP {stamp} AS ingested_at, TIMESTAMP {stamp} AS updated_at
        FROM range({offset}, {offset + rows}) t(i)
    """


def _enrich_sql(topics: list[str], since_seq: int = 0) -> str:
    listed = "[" + ", ".join(f"'{t}'" for t in topics) + "]"
    return f"""
        INSERT INTO enrichments BY NAME
        SELECT record_id, 'h' AS row_hash, 'bench' AS model_version,
               CASE WHEN hash(seq * 29) % 10 < 8 THEN {listed}[1 + (hash(seq * 31) % {len(topics)})::INT] END
                   AS topic_id,
               ['neg','neg','neu','pos','pos'][1 + (hash(seq * 37) % 5)::INT] AS sentiment,
               list_transform(range(6), lambda j: 'w' || floor(pow(20000, (hash(seq * 41 + j) % 1000000) / 1e6))::INT)
                   AS tokens,
               updated_at AS enriched_at
        FROM records WHERE seq >= {since_seq}
    """


def _plant(con: Any, rows: int) -> None:
    """300 new customers with a new defect on P3 in the week of 2026-09-21."""
    con.execute(f"""
        INSERT INTO records BY NAME
        SELECT 'd' || i AS record_id, 'src0' AS source, 'app' AS channel, 'feedback' AS kind,
               TIMESTAMP '2026-09-21' + to_seconds((hash(i * 5) % (7 * 86400))::BIGINT) AS occurred_at,
               {rows} + i AS seq, 'b0' AS batch_id, 'd' || i AS customer_id, 'P3' AS product, '触点发绿' AS text,
               '{{}}' AS raw, 'h' AS row_hash, TIMESTAMP '2026-11-01' AS ingested_at,
               TIMESTAMP '2026-11-01' AS updated_at
        FROM range(300) t(i)
    """).fetchall()
    con.execute("""
        INSERT INTO enrichments BY NAME
        SELECT record_id, 'h' AS row_hash, 'bench' AS model_version, 'neg' AS sentiment,
               ['触点', '发绿', '金属'] AS tokens, updated_at AS enriched_at
        FROM records WHERE record_id LIKE 'd%'
    """).fetchall()


def _add_batch(con: Any) -> None:
    """10k records on the data's last day, ingested after the first run."""
    con.execute(_records_sql(BATCH, "TIMESTAMP '2026-10-31'", 1, "'2026-11-02'", offset=10_000_000)).fetchall()
    topics = [r[0] for r in con.execute("SELECT topic_id FROM taxonomy WHERE topic_id LIKE '%.%'").fetchall()]
    con.execute(_enrich_sql(topics, since_seq=10_000_000)).fetchall()


FLOOR_SQL = """
WITH reports AS (
    SELECT r.record_id, r.occurred_at AS t, r.product, coalesce(r.customer_id, 'R:' || r.record_id) AS customer,
           e.tokens
    FROM records r JOIN enrichments e USING (record_id)
    WHERE r.text IS NOT NULL AND r.product IS NOT NULL AND (e.sentiment = 'neg' OR r.kind = 'complaint')
), items AS (
    SELECT record_id, t, product, customer, unnest(list_distinct(tokens)) AS issue FROM reports
), kept AS (
    SELECT i.* FROM items i ANTI JOIN ignored g ON i.issue = g.word WHERE length(i.issue) >= 2
), counted AS (
    SELECT *,
        count(DISTINCT customer) OVER w AS customers,
        count(*) OVER (PARTITION BY product, issue ORDER BY t RANGE BETWEEN INTERVAL 63 DAYS PRECEDING
                       AND INTERVAL 7 DAYS PRECEDING) AS history,
        count(*) OVER (PARTITION BY issue ORDER BY t RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND CURRENT ROW)
            - count(*) OVER w AS other_products
    FROM kept
    WINDOW w AS (PARTITION BY product, issue ORDER BY t RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND CURRENT ROW)
)
SELECT count(*) AS candidates, count(DISTINCT (product, issue)) AS series FROM counted WHERE customers >= 3
"""


def _child(case: str, folder: Path) -> dict[str, Any]:
    from cxloop.app import Workspace
    from cxloop.app.alerts_service import run_alerts
    from cxloop.loop.terms import _IGNORED

    work = folder / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(folder / "base", work)
    kind, when = case.split("-")
    if kind == "andon":
        config = work / "cxloop.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text[: text.index("# Alert rules")] + ANDON_ONLY, encoding="utf-8")
    out: dict[str, Any] = {}
    with Workspace.open(work) as ws:
        if kind == "floor":
            import pyarrow as pa

            ws.con.register("ignored", pa.table({"word": sorted(_IGNORED)}))
            t0 = time.perf_counter()
            row = ws.con.execute(FLOOR_SQL).fetchall()[0]
            out = {"seconds": time.perf_counter() - t0, "candidates": row[0], "series": row[1]}
        else:
            if when == "incremental":
                run_alerts(ws, actor="bench", deliver=False)
                _add_batch(ws.con)
            t0 = time.perf_counter()
            got = run_alerts(ws, actor="bench", deliver=False)
            out = {"seconds": time.perf_counter() - t0, "alerts": len(got["alerts"]), "holds": got["holds"],
                   "cases": got["cases"]}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shutil.rmtree(work, ignore_errors=True)
    return out


def run(repeat: int = 3) -> list[dict[str, Any]]:
    folder = DATA / f"alerts_{ROWS}"
    generate(folder)
    rows = []
    for case in ("floor-sql", "andon-first", "andon-incremental", "default-first", "default-incremental"):
        results = measure_child(["benchmarks.bench_alerts", case, str(folder)], repeat)
        seconds = [r["seconds"] for r in results]
        last = results[-1]
        rows.append({"case": case.replace("-", " "), "runs": len(results),
                     "median_s": round(statistics.median(seconds), 2),
                     "min_s": round(min(seconds), 2), "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results)),
                     **{k: last[k] for k in ("alerts", "holds", "cases", "candidates", "series") if k in last}})
    floor = rows[0]["median_s"]
    for row in rows[1:]:
        row["x_floor"] = round(row["median_s"] / floor, 2) if floor else None
    return rows


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], Path(sys.argv[2]))))
