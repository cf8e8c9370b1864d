"""DuckDB/lake parity: the same messy exports ingested into an embedded workspace and into a Spark lake give
the same counts, rejects, rows, customers (same ids), identities, enrichments and analytics.

The input is the demo generator's (GBK CSV, UTF-8 CSV, JSONL and XLSX exports with bad dates, bad scores,
empty rows, duplicates, a switchboard number many customers call from, event logs), then a corrected
hotline export (most rows again, unchanged; changed texts and phone numbers: updated rows, merged
customers), then the chat export again (nothing added). One lake, one local Spark session (2 cores, 2
shuffle partitions).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")

from cxloop.app import Workspace
from cxloop.app import journeys_service as js
from cxloop.app import metrics_service as svc
from cxloop.app.kpis_service import kpi_tree
from cxloop.app.lake import open_lake
from cxloop.app.lake_service import enrich_any, ingest_any, rejects_any, status_any
from cxloop.app.stars_service import compute_stars
from cxloop.demo.generator import generate_demo
from cxloop.demo.writer import render_sources_toml

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SOURCES = ("hotline", "chat", "wechat", "nps_survey", "ivr_events")


def _corrected_hotline(path: Path, out: Path) -> Path:
    """The hotline export with every 5th summary amended and every 7th caller's number replaced by the
    previous row's (updated rows; customers merge)."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("gbk"))))
    header, body = rows[0], rows[1:]
    text, phone = header.index("通话小结"), header.index("主叫号码")
    for i, row in enumerate(body):
        if len(row) != len(header):
            continue
        if i % 5 == 0:
            row[text] += "（补充说明）"
        if i % 7 == 6 and len(body[i - 1]) == len(header):
            row[phone] = body[i - 1][phone]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *body])
    out.write_bytes(buffer.getvalue().encode("gbk"))
    return out


def _make(root: Path, blocked: str, profiles: str, engine: str = "") -> Workspace:
    """A workspace blocklisting one repeat caller's number, with identifiers over-shared beyond 4 customers."""
    Workspace.init(root).close()
    config = root / "cxloop.toml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"^blocklist = \[\]", f"blocklist = [{json.dumps(blocked)}]", text, flags=re.M)
    text = re.sub(r"^max_customers_per_identifier = 10", "max_customers_per_identifier = 4", text, flags=re.M)
    config.write_text(text + profiles + engine, encoding="utf-8")
    return Workspace.open(root)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, lake_test_settings: str) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("lake_parity")
    demo = generate_demo(folder / "imports", records=2000, seed=11)
    profiles = render_sources_toml(demo.profiles)
    corrected = _corrected_hotline(demo.files["hotline"], folder / "imports" / "hotline_corrected.csv")
    plan = [(s, demo.files[s]) for s in SOURCES] + [("hotline", corrected), ("chat", demo.files["chat"])]
    blocked = demo.truth["repeat_contacts"][0]["phone"]
    duck = _make(folder / "duck", blocked, profiles)
    lake = _make(folder / "lake", blocked, profiles, lake_test_settings)
    counts = []
    for source, path in plan:
        a = ingest_any(duck, str(path), source=source)
        b = ingest_any(lake, str(path), source=source)
        counts.append((source, a, b))
    yield {"duck": duck, "lake": lake, "counts": counts}
    duck.close()
    lake.close()


def _strip(counts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in counts.items() if k not in ("batch_id", "files")}


def test_counts_of_every_batch_are_the_same(pair: dict[str, Any]) -> None:
    for source, a, b in pair["counts"]:
        assert _strip(a) == _strip(b), source
    corrected = pair["counts"][-2][1]  # the same rows again (unchanged) or corrected (updated), nothing new
    assert corrected["inserted"] == 0 and corrected["updated"] > 0 and corrected["unchanged"] > 0
    again = pair["counts"][-1][2]  # the chat export a second time: the lake adds nothing, as DuckDB does
    assert (again["inserted"], again["updated"]) == (0, 0) and again["unchanged"] > 0
    assert all(a["rejected"] for _, a, _ in pair["counts"][:4])


def _duck(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    return sorted(ws.con.execute(sql).fetchall(), key=repr)


def _lake(ws: Workspace, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    rows = open_lake(ws).read(table).select(*columns).collect()
    return sorted((tuple(r) for r in rows), key=repr)


RECORD_COLUMNS = ["record_id", "source", "channel", "kind", "occurred_at", "seq", "customer_id", "phone", "email",
                  "account", "openid", "device", "customer_ref", "product", "journey_stage", "touchpoint", "agent_id",
                  "team", "department", "region", "source_key", "case_id", "session_id", "event_type", "outcome",
                  "duration_seconds", "text", "nps", "csat", "ces", "rating", "attributes", "raw", "row_hash"]
EVENT_COLUMNS = [c if c != "record_id" else "event_id" for c in RECORD_COLUMNS
                 if c not in ("text", "nps", "csat", "ces", "rating")]


@pytest.mark.parametrize(("table", "columns"), [
    ("records", RECORD_COLUMNS), ("events", EVENT_COLUMNS),
    ("identities", ["id_type", "value", "customer_id", "source", "first_seen", "last_seen"]),
    ("customers", ["customer_id", "created_seq"]),
    ("customer_aliases", ["alias_id", "customer_id"]),
    ("identity_blocklist", ["id_type", "value", "reason"]),
    ("rejects", ["reject_id", "source", "row", "field", "reason", "raw"]),
])
def test_tables_hold_the_same_rows(pair: dict[str, Any], table: str, columns: list[str]) -> None:
    select = ", ".join(f"CAST({c} AS VARCHAR)" if c in ("attributes", "raw") else c for c in columns)
    duck = _duck(pair["duck"], f"SELECT {select} FROM {table}")
    assert duck, table
    assert _lake(pair["lake"], table, columns) == duck


def test_merges_and_the_switchboard_happened(pair: dict[str, Any]) -> None:
    duck = pair["duck"]
    aliases = duck.con.execute("SELECT count(*) FROM customer_aliases").fetchone()
    blocked = duck.con.execute("SELECT count(*) FROM identity_blocklist WHERE reason LIKE 'seen with%'").fetchone()
    assert aliases and aliases[0] > 0 and blocked and blocked[0] > 0


def test_status_and_rejects_read_the_same(pair: dict[str, Any]) -> None:
    a, b = status_any(pair["duck"]), status_any(pair["lake"])
    assert {k: b[k] for k in a} == a
    duck_rows = {(r["file"].rsplit("/", 1)[-1], r["row"], r["field"], r["reason"]) for r in rejects_any(pair["duck"])}
    lake_rows = {(r["file"].rsplit("/", 1)[-1], r["row"], r["field"], r["reason"]) for r in rejects_any(pair["lake"])}
    assert lake_rows == duck_rows and duck_rows


@pytest.fixture(scope="module")
def enriched(pair: dict[str, Any]) -> dict[str, Any]:
    a = enrich_any(pair["duck"], jobs=1)
    b = enrich_any(pair["lake"])
    return {"duck": a, "lake": b}


def test_enrichments_are_the_same(pair: dict[str, Any], enriched: dict[str, Any], assert_same: Any) -> None:
    assert enriched["lake"]["enriched"] == enriched["duck"]["enriched"] > 0
    assert enriched["lake"]["model_version"] == enriched["duck"]["model_version"]
    columns = ["record_id", "row_hash", "model_version", "language", "text_redacted", "tokens", "sentiment",
               "sentiment_score", "emotion", "topic_id", "topic_confidence", "topics", "aspects", "faq_id", "faq_score"]
    duck = [list(r) for r in _duck(pair["duck"], f"SELECT {', '.join(columns)} FROM enrichments")]
    lake = [list(r) for r in _lake(pair["lake"], "enrichments", columns)]
    assert_same(lake, duck)
    again = enrich_any(pair["lake"])
    assert again["enriched"] == 0 and again["up_to_date"] == enriched["lake"]["enriched"]


QUERIES = [
    {"metric": "nps", "by": "month,channel"},
    {"metric": "csat", "by": "channel,product"},
    {"metric": "repeat_contact", "by": "channel"},
    {"metric": "3e", "by": "month"},
]


@pytest.mark.parametrize("query", QUERIES, ids=[q["metric"] for q in QUERIES])
def test_metrics_are_the_same(pair: dict[str, Any], enriched: dict[str, Any], assert_same: Any,
                              query: dict[str, Any]) -> None:
    a = svc.compute_metric(pair["duck"], query)
    b = svc.compute_metric(pair["lake"], query)
    assert a["rows"] and b["engine"] == "spark"
    assert_same({k: v for k, v in a.items() if k != "engine"}, {k: v for k, v in b.items() if k != "engine"})


def test_pain_points_drivers_emerging_are_the_same(pair: dict[str, Any], enriched: dict[str, Any],
                                                    assert_same: Any) -> None:
    duck, lake = pair["duck"], pair["lake"]
    assert_same(svc.rank_painpoints(duck, since="all"), svc.rank_painpoints(lake, since="all"))
    assert_same(svc.driver_analysis(duck, target="nps"), svc.driver_analysis(lake, target="nps"))
    assert_same(svc.detect_emerging(duck), svc.detect_emerging(lake))


def test_journeys_are_the_same(pair: dict[str, Any], enriched: dict[str, Any], assert_same: Any) -> None:
    duck, lake = pair["duck"], pair["lake"]
    flows = js.flows(duck, by="channel", per="customer")
    assert flows["edges"]
    assert_same(flows, js.flows(lake, by="channel", per="customer"))
    assert_same(js.ivr_paths(duck), js.ivr_paths(lake))
    assert_same(js.episodes(duck, limit=20), js.episodes(lake, limit=20))


def test_kpi_tree_and_stars_are_the_same(pair: dict[str, Any], enriched: dict[str, Any], assert_same: Any) -> None:
    duck, lake = pair["duck"], pair["lake"]
    tree = kpi_tree(duck)
    assert tree["month"] and tree["nodes"]
    assert_same(tree, kpi_tree(lake))
    stars = compute_stars(duck, month=tree["month"], level="team")
    assert_same(stars, compute_stars(lake, month=tree["month"], level="team"))
