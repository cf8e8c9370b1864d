"""Invariants of the metric statistics and of grouping (Hypothesis)."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxloop.app.metrics_service import compute_metric
from cxloop.metrics import stats

_spec = importlib.util.spec_from_file_location(
    "metrics_factory", Path(__file__).resolve().parents[1] / "unit" / "metrics" / "factory.py"
)
assert _spec and _spec.loader
factory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(factory)

counts = st.integers(min_value=0, max_value=5000)


@given(counts, counts, counts)
def test_nps_and_its_interval_lie_in_bounds(p: int, d: int, passive: int) -> None:
    n = p + d + passive
    if n == 0:
        return
    value, lo, hi = stats.nps_interval(n, p, d)
    assert -100.0 <= lo[0] <= hi[0] <= 100.0
    assert -100.0 <= value[0] <= 100.0


@given(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.0, max_value=1.0),
       st.integers(min_value=5, max_value=2000))
def test_intervals_narrow_as_n_grows(pp: float, dd: float, n: int) -> None:
    if pp + dd > 1:
        pp, dd = pp / (pp + dd), dd / (pp + dd)
    width = []
    for scale in (1, 4, 16):
        m = n * scale
        _, lo, hi = stats.nps_interval(m, round(pp * m), round(dd * m))
        _, wlo, whi = stats.wilson_interval(m, round(pp * m))
        width.append((hi[0] - lo[0], whi[0] - wlo[0]))
    assert width[0][0] >= width[1][0] >= width[2][0]
    assert width[0][1] >= width[1][1] >= width[2][1]


@given(st.integers(min_value=2, max_value=500), st.floats(min_value=0, max_value=1))
def test_wilson_contains_the_rate(n: int, share: float) -> None:
    k = round(share * n)
    value, lo, hi = stats.wilson_interval(n, k)
    assert lo[0] - 1e-9 <= value[0] <= hi[0] + 1e-9


rows_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10),
        st.sampled_from(["app", "hotline", "chat", None]),
        st.integers(min_value=0, max_value=120),
    ),
    min_size=1, max_size=60,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy)
def test_group_sizes_add_up_to_the_total(tmp_path_factory, rows) -> None:  # type: ignore[no-untyped-def]
    ws = factory.make_ws(tmp_path_factory.mktemp("prop") / "ws")
    try:
        factory.add_records(ws, [
            {"occurred_at": datetime(2026, 1, 1) + timedelta(days=day, hours=7), "nps": score, "channel": ch}
            for score, ch, day in rows
        ])
        total = compute_metric(ws, {"metric": "nps"})["rows"][0]
        assert total["n"] == len(rows)
        for by in ("channel", "month", "week,channel"):
            groups = compute_metric(ws, {"metric": "nps", "by": by})["rows"]
            assert sum(g["n"] for g in groups) == total["n"]
            assert all(-100 <= g["value"] <= 100 for g in groups)
        weighted = sum(g["value"] * g["n"] for g in compute_metric(ws, {"metric": "nps", "by": "channel"})["rows"])
        assert np.isclose(weighted / total["n"], total["value"])
    finally:
        ws.close()
