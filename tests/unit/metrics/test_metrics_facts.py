"""The time-ordered topic facts (`metrics_topic_facts`): pain points and emerging issues give the same
answers from the copy as from the join, a changed source table makes the copy stale (and unused), and a
read-only workspace falls back to the join."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cxloop.app import Workspace
from cxloop.app import metrics_facts as mf
from cxloop.app import metrics_service as svc
from cxloop.engines import DuckDBEngine
from cxloop.errors import WorkspaceError

_spec = importlib.util.spec_from_file_location("metrics_factory", Path(__file__).resolve().parent / "factory.py")
assert _spec and _spec.loader
factory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(factory)


def _extras(ws: Workspace) -> None:
    """Rows the copy must keep exactly: no product ('(none)'), no customer, no NPS, and a record whose
    enrichment has no topic (left out)."""
    factory.add_records(ws, [
        {"record_id": "x1", "occurred_at": datetime(2026, 3, 29, 3), "channel": "app", "nps": 1},
        {"record_id": "x2", "occurred_at": datetime(2026, 3, 30, 3), "channel": "app", "product": "P1",
         "customer_id": "c1"},
        {"record_id": "x3", "occurred_at": datetime(2026, 3, 30, 4), "channel": "app", "product": "P1",
         "customer_id": "c2", "nps": 9},
    ])
    factory.add_enrichments(ws, [
        {"record_id": "x1", "topic_id": "billing", "sentiment": "neg"},
        {"record_id": "x2", "topic_id": "app", "sentiment": "neu", "emotion": "joy"},
        {"record_id": "x3", "topic_id": None, "sentiment": "pos"},
    ])


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = factory.make_ws(tmp_path / "ws")
    factory.seed_topics(w)
    _extras(w)
    yield w
    w.close()


def _answers(ws: Workspace) -> list[dict[str, Any]]:
    return [
        svc.rank_painpoints(ws, since="7d", limit=100),
        svc.rank_painpoints(ws, since="30d", where=["channel=app", "sentiment=neg"], limit=100),
        svc.rank_painpoints(ws, since="14d", product="(none)", verbatims=2),
        svc.rank_painpoints(ws, since=None, limit=100),
        svc.detect_emerging(ws, asof="2026-03-28"),
    ]


def _uses_facts(ws: Workspace) -> bool:
    return svc.metric_sources(ws, DuckDBEngine(ws.con), topic_facts=True).topic_facts is not None


def test_same_answers_from_the_copy_as_from_the_join(ws: Workspace) -> None:
    joined = _answers(ws)
    assert not _uses_facts(ws)
    out = svc.refresh_topic_facts(ws)
    assert out["reused"] is False and _uses_facts(ws)
    assert out["rows"] == _topic_rows(ws)
    assert _answers(ws) == joined
    assert joined[2]["painpoints"][0]["product"] == "(none)"
    assert svc.refresh_topic_facts(ws)["reused"] is True


def _topic_rows(ws: Workspace) -> int:
    row = ws.con.execute(
        "SELECT count(*) FROM records r JOIN enrichments e USING (record_id) WHERE e.topic_id IS NOT NULL"
    ).fetchall()[0]
    return int(row[0])


def test_copy_is_stored_in_time_order(ws: Workspace) -> None:
    svc.refresh_topic_facts(ws)
    times = [r[0] for r in ws.con.execute(f"SELECT occurred_at FROM {mf.FACTS_TABLE}").fetchall()]
    assert times == sorted(times) and len(times) == _topic_rows(ws)


@pytest.mark.parametrize("change", ["record", "enrichment", "batch"])
def test_a_changed_source_makes_the_copy_stale_and_unused(ws: Workspace, change: str) -> None:
    svc.refresh_topic_facts(ws)
    assert mf.facts_current(ws)
    if change == "record":  # same updated_at as the others: the row count tells
        factory.add_records(ws, [{"record_id": "n1", "occurred_at": datetime(2026, 3, 30, 5), "product": "P3",
                                  "customer_id": "c9", "nps": 0}])
        factory.add_enrichments(ws, [{"record_id": "n1", "topic_id": "delivery", "sentiment": "neg"}])
    elif change == "enrichment":  # a re-enrichment replaces the row with a later enriched_at
        ws.con.execute("DELETE FROM enrichments WHERE record_id = 'x2'").fetchall()
        ws.con.execute(
            "INSERT INTO enrichments (record_id, row_hash, model_version, topic_id, sentiment, enriched_at) "
            "VALUES ('x2', 'h', 'test', 'delivery', 'neg', TIMESTAMP '2026-06-01')"
        ).fetchall()
    else:  # an ingest (identity resolution may have moved customer ids)
        ws.con.execute(
            "INSERT INTO ingest_batches (batch_id, source, file, started_at, finished_at) "
            "VALUES ('b9', 'test', 'f.csv', TIMESTAMP '2026-06-01', TIMESTAMP '2026-06-01')"
        ).fetchall()
    assert not mf.facts_current(ws) and not _uses_facts(ws)
    stale_free = _answers(ws)
    svc.refresh_topic_facts(ws)
    assert _uses_facts(ws) and _answers(ws) == stale_free


def test_read_only_workspace_reads_the_join_and_cannot_refresh(tmp_path: Path) -> None:
    w = factory.make_ws(tmp_path / "ws")
    factory.seed_topics(w)
    svc.refresh_topic_facts(w)
    w.close()
    with Workspace.open(tmp_path / "ws", read_only=True) as ro:
        assert _uses_facts(ro)  # current: used
        assert svc.refresh_topic_facts(ro)["reused"] is True
        with pytest.raises(WorkspaceError, match="read-only"):
            svc.refresh_topic_facts(ro, force=True)
    w = Workspace.open(tmp_path / "ws")
    factory.add_records(w, [{"record_id": "n1", "occurred_at": datetime(2026, 3, 30, 5)}])
    w.close()
    with Workspace.open(tmp_path / "ws", read_only=True) as ro:
        assert not _uses_facts(ro)
        assert svc.rank_painpoints(ro, since="7d")["painpoints"][0]["topic"] == "battery"


def test_without_enrichments_the_copy_is_empty_and_painpoints_say_so(tmp_path: Path) -> None:
    w = factory.make_ws(tmp_path / "ws")
    factory.add_records(w, [{"occurred_at": datetime(2026, 1, 2), "nps": 3, "customer_id": "c1"}])
    assert svc.refresh_topic_facts(w)["rows"] == 0
    out = svc.rank_painpoints(w, since="7d")
    assert out["painpoints"] == [] and any("no enrichments" in n for n in out["notes"])
    w.close()
