"""Emerging issues beyond the taxonomy: a burst of texts no topic covers is raised as its discovered
cluster (labelled by the cluster's c-TF-IDF label) or, before discovery, as its product's uncovered texts;
the replay lists each alert once, with the burst's first day and week."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from cxloop.app import Workspace
from cxloop.app import metrics_service as svc

_spec = importlib.util.spec_from_file_location("metrics_factory", Path(__file__).resolve().parent / "factory.py")
assert _spec and _spec.loader
factory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(factory)

BURST = date(2026, 3, 11)  # a Wednesday: day 69 of the data set (2026-01-01 + 69)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = factory.make_ws(tmp_path / "ws")
    factory.seed_topics(w, planted_from=10_000)  # 90 days of steady topics, nothing planted
    # uncovered background on P3 (2 texts a day, no cluster) and a 6-day burst of a new complaint
    rows, enrich = [], []
    for d in range(90):
        day = date(2026, 1, 1) + timedelta(days=d)
        since_burst = (day - BURST).days
        n_burst = (4, 6, 8, 10, 12, 14)[since_burst] if 0 <= since_burst < 6 else 0
        for k in range(2 + n_burst):
            rid = f"u{d:03d}{k:02d}"
            rows.append({"record_id": rid, "channel": "app", "occurred_at": f"{day} 03:00:00", "product": "P3",
                         "text": "new" if k >= 2 else "other"})
            enrich.append({"record_id": rid, "topic_id": None, "sentiment": "neg",
                           "cluster_id": "cand-green" if k >= 2 else None})
    factory.add_records(w, rows)
    factory.add_enrichments(w, enrich)
    w.con.execute("INSERT INTO topic_candidates (cluster_id, label, size, created_at) "
                  "VALUES ('cand-green', '触点 / 发绿', 60, TIMESTAMP '2026-04-01')").fetchall()
    yield w
    w.close()


def test_a_new_cluster_is_raised_in_its_first_days_with_its_label(ws: Workspace) -> None:
    out = svc.detect_emerging(ws, since="all")
    assert out["since"] == "2026-03-04"  # data start + 7 + 56 - 1: the first day with a full baseline
    clusters = [i for i in out["issues"] if i["kind"] == "cluster"]
    assert len(clusters) == 1
    issue = clusters[0]
    assert (issue["series"], issue["product"], issue["label"]) == ("cand-green", "P3", "触点 / 发绿")
    assert issue["topic"] is None and issue["cluster_id"] == "cand-green"
    assert BURST.isoformat() <= issue["first_detected"] <= (BURST + timedelta(days=2)).isoformat()
    assert issue["first_seen"] == BURST.isoformat() and issue["first_seen_week"] == "2026-03-09"
    assert not issue["active"]
    # steady topics and the uncovered background raise nothing
    assert [i for i in out["issues"] if i["kind"] != "cluster"] == []


def test_before_discovery_the_uncovered_texts_of_the_product_are_raised(ws: Workspace) -> None:
    ws.con.execute("UPDATE enrichments SET cluster_id = NULL").fetchall()
    out = svc.detect_emerging(ws, since="all")
    assert any("no discovered clusters" in n for n in out["notes"])
    [issue] = out["issues"]
    assert (issue["kind"], issue["series"], issue["product"]) == ("uncovered", "(uncovered)", "P3")
    assert issue["label"].startswith("uncovered text")
    assert BURST.isoformat() <= issue["first_detected"] <= (BURST + timedelta(days=6)).isoformat()
    assert issue["first_seen_week"] == "2026-03-09"


def test_at_a_day_only_the_issues_flagged_that_day(ws: Workspace) -> None:
    during = svc.detect_emerging(ws, asof=(BURST + timedelta(days=3)).isoformat())
    assert [(i["kind"], i["series"]) for i in during["issues"]] == [("cluster", "cand-green")]
    assert during["since"] is None
    before = svc.detect_emerging(ws, asof=(BURST - timedelta(days=1)).isoformat())
    assert before["issues"] == []
