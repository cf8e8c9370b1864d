"""Unit tests: XES reader, journey config, and the numpy finish equals the portable Ibis expressions."""

from __future__ import annotations

import gzip
import itertools
import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxloop.errors import ConfigError, InputError
from cxloop.ingest.xes import read_xes
from cxloop.journeys import flows, sequences
from cxloop.journeys.config import DEFAULT_STAGES, load_journey_config
from cxloop.journeys.steps import tie_key

XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <global scope="event"><string key="concept:name" value="UNKNOWN"/></global>
  <string key="origin" value="test"><string key="nested" value="ignored"/></string>
  <trace>
    <string key="concept:name" value="T1"/>
    <event>
      <string key="concept:name" value="A"/><date key="time:timestamp" value="2020-01-01T00:00:00+01:00"/>
      <string key="lifecycle:transition" value="complete"/>
    </event>
    <event>
      <string key="concept:name" value="A"/><date key="time:timestamp" value="2020-01-01T00:00:00+01:00"/>
      <int key="cost" value="7"/><list key="items"><string key="x" value="1"/></list>
    </event>
    <string key="region" value="north"/>
  </trace>
  <trace><string key="concept:name" value="T2"/>
    <event><string key="concept:name" value="B"/><date key="time:timestamp" value="2020-01-02T00:00:00Z"/></event>
  </trace>
</log>
"""


def test_read_xes_flattens_like_pm4py(tmp_path: Path) -> None:
    path = tmp_path / "log.xes.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(XES)
    table = read_xes(path)
    assert table.num_rows == 3 and all(t == pa.string() for t in table.schema.types)
    assert table.column_names[0] == "case:concept:name"
    rows = table.to_pylist()
    assert [r["case:concept:name"] for r in rows] == ["T1", "T1", "T2"]  # log order, duplicates kept
    assert rows[0]["time:timestamp"] == "2020-01-01T00:00:00+01:00"  # as written
    assert rows[1]["cost"] == "7" and rows[0]["cost"] is None
    assert rows[0]["case:region"] == "north" and rows[2]["case:region"] is None
    assert "items" not in table.column_names and "x" not in table.column_names and "origin" not in table.column_names


@pytest.mark.parametrize("text", ["<log><trace><event>", "<notxes/>", ""])
def test_read_xes_rejects_bad_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.xes"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_xes(path)
    assert err.value.file == str(path)


def test_read_xes_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_xes(tmp_path / "nope.xes")


def test_journey_config_defaults_and_errors() -> None:
    config = load_journey_config({})
    assert config.stages == DEFAULT_STAGES
    assert config.stage_map.event_type["order"] == "purchase"
    custom = load_journey_config({"episode_gap_hours": 48, "stage_map": {"channel": {"store": "purchase"}}})
    assert custom.episode_gap_hours == 48 and custom.stage_map.channel == {"store": "purchase"}
    with pytest.raises(ConfigError, match=r"unknown stage\(s\) \['shopping'\]"):
        load_journey_config({"stage_map": {"channel": {"store": "shopping"}}})
    with pytest.raises(ConfigError, match=r"journeys\.episode_gap_hours"):
        load_journey_config({"episode_gap_hours": -1})


BASE = datetime(2026, 1, 1)
STARTED = {"b1": BASE + timedelta(days=2), "b2": BASE + timedelta(days=1)}  # b2 ran first: ties go b2, b1


def _table(steps: list[tuple[str, str, int, int, str]]) -> pa.Table:
    return pa.table({
        "seq_key": [s[0] for s in steps], "label": [s[1] for s in steps],
        "occurred_at": pa.array([BASE + timedelta(seconds=s[2]) for s in steps], pa.timestamp("us")),
        "batch_at": pa.array([STARTED[s[4]] for s in steps], pa.timestamp("us")),
        "batch_id": [s[4] for s in steps], "seq": pa.array([s[3] for s in steps], pa.int64()),
    })


def _labelled(steps: list[tuple[str, str, int, int, str]]) -> ibis.Table:
    raw = duckdb.connect()
    raw.register("arrow_steps", _table(steps))
    raw.execute("CREATE TABLE steps AS SELECT * FROM arrow_steps")
    return ibis.duckdb.from_connection(raw).table("steps")


def _engine_sorted(
    labelled: ibis.Table, started: dict[str, datetime | None]
) -> tuple[sequences.SortedSteps, list[str]]:
    """Scan with the engine's tie key (`steps.tie_key` over the batches' ranks), then sort in numpy."""
    ranks = sequences.batch_ranks(sorted({*started, "b1", "b2"}), started)
    scan = labelled.select("seq_key", "label", "occurred_at", tie=tie_key(labelled, ranks))
    return sequences.sort_steps(labelled.get_backend().to_pyarrow(scan))


step_lists = st.lists(
    st.tuples(st.sampled_from(["s1", "s2", "s3", "s4"]), st.sampled_from(["a", "b", "c"]),
              st.integers(0, 5), st.sampled_from(["b1", "b2"])),
    min_size=1, max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(step_lists, st.randoms(use_true_random=False), st.booleans())
def test_numpy_finish_equals_portable_ibis(
    raw: list[tuple[str, str, int, str]], rnd: random.Random, in_time_order: bool
) -> None:
    steps = [(k, a, t, i, b) for i, (k, a, t, b) in enumerate(raw)]
    if in_time_order:  # the fast path: the scan already in (time, batch, seq) order
        steps.sort(key=lambda s: (s[2], STARTED[s[4]], s[4], s[3]))
    else:  # any order: ranked by time
        rnd.shuffle(steps)
    labelled = _labelled(steps)
    backend = labelled.get_backend()
    portable_edges = {(e["from"], e["to"]): (e["count"], e["median_seconds"])
                      for e in backend.to_pyarrow(flows.directly_follows(labelled)).to_pylist()}
    codes = flows.label_codes(labelled)
    names = {r["code"]: r["label"] for r in backend.to_pyarrow(codes).to_pylist()}
    portable_variants = [(tuple(names[c] for c in r["path"]), r["count"])
                         for r in backend.to_pyarrow(flows.variants(labelled, codes).limit(5)).to_pylist()]
    arrays, labels = _engine_sorted(labelled, STARTED)  # the tie key as the workspace path scans it
    assert labels == sorted(names.values())
    base = len(labels)
    fast_edges = {(labels[a], labels[b]): (n, m) for a, b, n, m in sequences.directly_follows_arrays(arrays, base)}
    assert fast_edges == portable_edges
    top, distinct = sequences.top_variants_arrays(arrays, base, 5)
    assert [(tuple(labels[c] for c in p), n) for p, n in top] == portable_variants
    ordered = sorted(steps, key=lambda s: (s[0], s[2], STARTED[s[4]], s[4], s[3]))
    paths = {k: tuple(s[1] for s in ordered if s[0] == k) for k in {s[0] for s in steps}}
    assert distinct == len(set(paths.values()))
    assert sorted(arrays.codes.tolist()) == sorted(labels.index(s[1]) for s in steps)


def test_sort_steps_orders_ties_by_batch_start_then_seq() -> None:
    same = 3  # every step at the same second: source order decides
    steps = [("s", "late", same, 0, "b1"), ("s", "early", same, 5, "b2"), ("s", "earlier", same, 1, "b2")]
    arrays, labels = _engine_sorted(_labelled(steps), STARTED)
    assert [labels[c] for c in arrays.codes] == ["earlier", "early", "late"]
    unknown, labels2 = _engine_sorted(_labelled(steps), {"b1": STARTED["b1"]})  # b2 unknown: last
    assert [labels2[c] for c in unknown.codes] == ["late", "earlier", "early"]


def test_variant_packing_orders_long_paths_lexicographically() -> None:
    codes = [3, 1, 2] * 30 + [3, 1, 1] * 30  # two sequences of 90 steps: several 64-bit words each
    arrays = sequences.SortedSteps(
        codes=pa.array(codes, pa.int64()).to_numpy(), at_ms=pa.array(range(180), pa.int64()).to_numpy(),
        starts=pa.array([0, 90], pa.int64()).to_numpy(),
    )
    top, distinct = sequences.top_variants_arrays(arrays, 4, 5)
    assert distinct == 2
    assert [p[:3] for p, _ in top] == [[3, 1, 1], [3, 1, 2]]  # tie on count: path order


def _naive_dfg(codes: list[int], at_ms: list[int], starts: list[int]) -> dict[tuple[int, int], tuple[int, float]]:
    bounds = [*starts, len(codes)]
    gaps: dict[tuple[int, int], list[int]] = {}
    for lo, hi in itertools.pairwise(bounds):
        for i in range(lo, hi - 1):
            gaps.setdefault((codes[i], codes[i + 1]), []).append(at_ms[i + 1] - at_ms[i])
    out = {}
    for edge, values in gaps.items():
        values.sort()
        k = len(values)
        out[edge] = (k, (values[(k - 1) // 2] + values[k // 2]) / 2000.0)
    return out


@pytest.mark.parametrize(("n_labels", "max_gap"), [(3, 10_000), (300, 10_000), (40, 2**50)])
def test_directly_follows_arrays_equals_naive(n_labels: int, max_gap: int) -> None:
    """Packed words with binary-searched runs (few labels), run scan (>256 labels), two-key sort (huge gaps)."""
    rng = np.random.default_rng(n_labels)
    lengths = rng.integers(1, 12, 400)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    codes = rng.integers(0, n_labels, int(lengths.sum())).astype(np.int64)
    at = np.concatenate([np.cumsum(rng.integers(0, max_gap, k)) for k in lengths]).astype(np.int64)
    arrays = sequences.SortedSteps(codes=codes, at_ms=at, starts=starts)
    found = sequences.directly_follows_arrays(arrays, n_labels)
    assert {(a, b): (n, m) for a, b, n, m in found} == _naive_dfg(codes.tolist(), at.tolist(), starts.tolist())
    assert [n for _, _, n, _ in found] == sorted((n for _, _, n, _ in found), reverse=True)


def test_variants_fall_back_to_exact_packing_on_a_hash_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 6, 300)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    codes = rng.integers(0, 3, int(lengths.sum())).astype(np.int64)
    arrays = sequences.SortedSteps(codes=codes, at_ms=np.zeros(len(codes), np.int64), starts=starts)
    hashed = sequences.top_variants_arrays(arrays, 3, 7)
    assert hashed == sequences._top_variants_packed(arrays, 3, 7)
    monkeypatch.setattr(sequences, "_HASH_BASE", np.uint64(0))  # every path hashes to (first code + 1) ^ length
    assert sequences._variant_groups(arrays, np.diff(np.append(starts, len(codes)))) is None
    assert sequences.top_variants_arrays(arrays, 3, 7) == hashed
