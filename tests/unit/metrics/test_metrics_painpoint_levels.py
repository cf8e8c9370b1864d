"""Pain points at parent level: sibling topics roll up to their taxonomy parent (customers counted once),
the parent's drill-down reads its children's verbatims, and a bad level is a usage error."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxloop.app import Workspace
from cxloop.app import metrics_service as svc
from cxloop.errors import UsageError

_spec = importlib.util.spec_from_file_location("metrics_factory", Path(__file__).resolve().parent / "factory.py")
assert _spec and _spec.loader
factory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(factory)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = factory.make_ws(tmp_path / "ws")
    factory.add_taxonomy(w, [
        {"topic_id": "install", "parent_id": None, "owner_department": "Install"},
        {"topic_id": "install.wait", "parent_id": "install", "owner_department": "Install"},
        {"topic_id": "install.fee", "parent_id": "install", "owner_department": "Install"},
        {"topic_id": "price", "parent_id": None, "owner_department": "Finance"},
    ])
    # customer c1 speaks of both children: one customer of the family
    spec = [("c1", "install.wait", 0), ("c1", "install.fee", 2), ("c2", "install.wait", 1),
            ("c3", "install.fee", 9), ("c4", "price", 3), ("c5", None, 10), ("c6", None, 8)]
    factory.add_records(w, [{"record_id": f"r{i}", "channel": "survey", "occurred_at": f"2026-03-0{i + 1} 03:00:00",
                             "customer_id": c, "product": "TV", "nps": n, "text": f"t{i}"}
                            for i, (c, _, n) in enumerate(spec)])
    factory.add_enrichments(w, [{"record_id": f"r{i}", "topic_id": t, "sentiment": "neg", "sentiment_score": -0.5,
                                 "text_redacted": f"text {i}"} for i, (_, t, _) in enumerate(spec)])
    yield w
    w.close()


def test_siblings_roll_up_to_their_parent(ws: Workspace) -> None:
    out = svc.rank_painpoints(ws, since="all", level="parent")
    rows = {(p["topic"], p["product"]): p for p in out["painpoints"]}
    assert set(rows) == {("install", "TV"), ("price", "TV")}
    family = rows[("install", "TV")]
    assert (family["volume"], family["customers"], family["respondents"], family["detractors"]) == (4, 3, 4, 3)
    assert family["owner_department"] == "Install" and family["topic_name"] == "install"
    assert out["baseline"] == {"respondents": 7, "detractors": 4, "detractor_share": 4 / 7}
    children = svc.rank_painpoints(ws, since="all")["painpoints"]
    assert sorted(p["topic"] for p in children) == ["install.fee", "install.wait", "price"]


def test_parent_drill_down_reads_the_children(ws: Workspace) -> None:
    out = svc.rank_painpoints(ws, since="all", level="parent", topic="install", product="TV", verbatims=5,
                              detractor_verbatims=True)
    assert [p["topic"] for p in out["painpoints"]] == ["install"]
    assert sorted(v["text"] for v in out["verbatims"]) == ["text 0", "text 1", "text 2"]


def test_unknown_level_is_a_usage_error(ws: Workspace) -> None:
    with pytest.raises(UsageError, match="--level 'family': use topic or parent"):
        svc.rank_painpoints(ws, level="family")
