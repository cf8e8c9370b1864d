"""Flows and variants on three real event logs equal an independent computation over the parsed file.

The independent side is plain Python over the file (csv module for receipt.csv; xml.etree for the XES
logs, written separately from cxloop's reader): sequences per case, ordered by timestamp with ties in
file order, directly-follows pairs counted with collections.Counter, medians with statistics.median.
The cxloop side ingests the file through the normal ingest path into a workspace and queries it.
"""

from __future__ import annotations

import csv
import functools
import gzip
import itertools
import os
import statistics
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cxloop.app import Workspace
from cxloop.app import journeys_service as js
from cxloop.app.ingest_service import ingest
from cxloop.app.journeys_log import log_sequences
from cxloop.config import SourceProfile

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

DATA = Path(os.environ.get("CXLOOP_SHARED_DATA", Path(__file__).resolve().parents[2] / ".." / "shared" / "data"))
LOGS = DATA / "pm4py_event_logs"

Event = tuple[datetime, int, str, str | None]  # time, position in file, activity, lifecycle


@functools.cache
def _independent_xes(path: Path) -> dict[str, list[Event]]:
    cases: dict[str, list[Event]] = defaultdict(list)
    position = 0
    ns = "{http://www.xes-standard.org/}"
    with gzip.open(path) as handle:
        tree = ET.parse(handle)
    for trace in tree.getroot().iter(f"{ns}trace"):
        name = next(a.get("value") for a in trace if a.get("key") == "concept:name")
        for event in trace.iter(f"{ns}event"):
            attrs = {a.get("key"): a.get("value") for a in event}
            cases[str(name)].append((datetime.fromisoformat(str(attrs["time:timestamp"])), position,
                                     str(attrs["concept:name"]), attrs.get("lifecycle:transition")))
            position += 1
    return cases


@functools.cache
def _independent_csv(path: Path) -> dict[str, list[Event]]:
    cases: dict[str, list[Event]] = defaultdict(list)
    with path.open(encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            cases[row["case:concept:name"]].append((datetime.fromisoformat(row["time:timestamp"]), i,
                                                    row["concept:name"], row["lifecycle:transition"]))
    return cases


def _expected(cases: dict[str, list[Event]], lifecycle: str | None = None) -> tuple[dict[Any, Any], Counter]:
    pairs: dict[tuple[str, str], list[float]] = defaultdict(list)
    paths: Counter[tuple[str, ...]] = Counter()
    for events in cases.values():
        kept = sorted(e for e in events if lifecycle is None or (e[3] or "").lower() == lifecycle)
        if not kept:
            continue
        paths[tuple(e[2] for e in kept)] += 1
        for a, b in itertools.pairwise(kept):
            pairs[(a[2], b[2])].append((b[0] - a[0]).total_seconds())
    return {k: (len(v), statistics.median(v)) for k, v in pairs.items()}, paths


def _check(ws: Workspace, cases: dict[str, list[Event]], lifecycle: str | None = None) -> None:
    _compare(js.flows(ws, by="event_type", lifecycle=lifecycle),
             js.variants(ws, by="event_type", lifecycle=lifecycle, top=20), cases, lifecycle)


def _compare(got: dict[str, Any], variants: dict[str, Any], cases: dict[str, list[Event]],
             lifecycle: str | None) -> None:
    want_edges, want_paths = _expected(cases, lifecycle)
    got_edges = {(e["from"], e["to"]): (e["count"], e["median_seconds"]) for e in got["edges"]}
    assert set(got_edges) == set(want_edges)
    for key, (count, median) in want_edges.items():
        assert got_edges[key][0] == count, key
        assert got_edges[key][1] == pytest.approx(median, abs=1e-3), key
    total = sum(want_paths.values())
    ranked = sorted(want_paths.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    assert variants["sequences"] == total and variants["distinct_variants"] == len(want_paths)
    assert [(tuple(v["path"]), v["count"]) for v in variants["variants"]] == ranked
    assert [v["share"] for v in variants["variants"]] == [round(100 * c / total, 4) for _, c in ranked]


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    if not LOGS.is_dir():
        pytest.skip(f"shared data not found at {LOGS}")
    made: dict[str, Path] = {}
    for name in ("helpdesk.xes.gz", "bpic2012.xes.gz", "receipt.csv"):
        root = tmp_path_factory.mktemp(name.split(".")[0]) / "ws"
        with Workspace.init(root) as ws:
            if name.endswith(".csv"):
                profile = SourceProfile(kind="event", map={
                    "session_id": "case:concept:name", "event_type": "concept:name",
                    "occurred_at": "time:timestamp", "channel": "case:channel", "agent_id": "org:resource"})
            else:
                profile = SourceProfile()
            result = ingest(ws, LOGS / name, source=name.split(".")[0], profile=profile)
            assert result["rejected"] == 0
        made[name] = root
    yield made


@pytest.mark.parametrize("name", ["helpdesk.xes.gz", "bpic2012.xes.gz", "receipt.csv"])
def test_flows_and_variants_equal_independent_count(workspaces: dict[str, Path], name: str) -> None:
    cases = _independent_csv(LOGS / name) if name.endswith(".csv") else _independent_xes(LOGS / name)
    with Workspace.open(workspaces[name], read_only=True) as ws:
        _check(ws, cases)


@pytest.mark.parametrize("name", ["bpic2012.xes.gz", "receipt.csv"])
def test_lifecycle_filter_equals_independent_count(workspaces: dict[str, Path], name: str) -> None:
    cases = _independent_csv(LOGS / name) if name.endswith(".csv") else _independent_xes(LOGS / name)
    with Workspace.open(workspaces[name], read_only=True) as ws:
        _check(ws, cases, lifecycle="complete")


def test_reingest_adds_nothing_and_keeps_identical_events(workspaces: dict[str, Path]) -> None:
    root = workspaces["helpdesk.xes.gz"]
    with Workspace.open(root) as ws:
        before = ws.con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        again = ingest(ws, LOGS / "helpdesk.xes.gz", source="helpdesk", profile=SourceProfile())
        assert before == 21348 and again["inserted"] == 0
        assert ws.con.execute("SELECT count(*) FROM events").fetchall()[0][0] == before


@pytest.mark.parametrize(("name", "lifecycle"), [
    ("helpdesk.xes.gz", None), ("bpic2012.xes.gz", "complete"), ("receipt.csv", None), ("receipt.csv", "complete"),
])
def test_log_read_directly_equals_independent_count(name: str, lifecycle: str | None) -> None:
    if not LOGS.is_dir():
        pytest.skip(f"shared data not found at {LOGS}")
    cases = _independent_csv(LOGS / name) if name.endswith(".csv") else _independent_xes(LOGS / name)
    log = log_sequences(LOGS / name, lifecycle=lifecycle)  # `cxloop journeys flows --log FILE`
    _compare(js.flows_from(log), js.variants_from(log, top=20), cases, lifecycle)
