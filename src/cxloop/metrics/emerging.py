"""Emerging issues: per series x product daily volumes tested against a weekly-seasonal baseline.

A series is a taxonomy topic (`kind` "topic"), a discovered cluster of texts no topic covers (`kind`
"cluster": `enrichments.cluster_id`, written by topic discovery), or the remaining uncovered,
unclustered texts (`kind` "uncovered"); every enriched record belongs to exactly one series. A new
complaint in wording no topic knows therefore still has a series of its own — its cluster — or, before
discovery has run, swells its product's "uncovered" series.

For each series x product and a test window of W days ending on day e, with the B days before it as
baseline:
  1. weekday factors f_w = mean daily volume of weekday w / mean daily volume, from the total volume over
     the baseline (all series pooled: single series are too sparse to estimate seasonality), floored at 0.2;
  2. the series' level = EWMA (alpha 0.1) of its deseasonalised baseline counts y_d / f_w(d), floored at
     their plain mean (after a quiet spell the EWMA of a sparse series decays towards zero) and at one
     occurrence per baseline (so a new series can still be flagged);
  3. expected window count E = level * sum of f_w over the window days, observed O;
  4. p = max(P(X >= O), X ~ Poisson(E); P(Y >= O), Y ~ Binomial(O + b, F_w / (F_w + F_b))), b the
     baseline count and F_w, F_b the summed weekday factors of window and baseline: the Poisson test
     against the level AND the exact conditional test of two Poisson rates (window vs baseline), which
     accounts for a level estimated from few occurrences; flagged when p < alpha / number of series (Bonferroni),
     O >= min_count and O / E >= min_ratio (uncovered_ratio for the "uncovered" series: it pools a
     product's unrelated uncovered texts, so a new issue is a smaller part of it).
`first_detected` is the first end day e, scanning day by day, on which the series was flagged. `replay`
runs the same test for every day of a span (what a daily monitor would have raised): one alert per
episode, a new episode when a series is flagged again after more than W quiet days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats as sps

from cxloop.metrics.relations import Sources
from cxloop.metrics.timeframe import Window, period_key

__all__ = ["SERIES_KEYS", "EmergingOptions", "daily_counts_expr", "detect", "replay", "scan",
           "series_relation"]

SERIES_KEYS = ("kind", "key", "product")
UNCOVERED = "(uncovered)"


@dataclass(frozen=True)
class EmergingOptions:
    window_days: int = 7
    baseline_days: int = 56
    alpha: float = 0.01
    min_count: int = 5
    min_ratio: float = 1.5
    uncovered_ratio: float = 1.2
    ewma: float = 0.1
    scan_days: int = 14


def series_relation(src: Sources, topics: ir.Table, span: Window) -> ir.Table:
    """`occurred_at`, `product`, `kind`, `key` of every enriched record in `span`: the records with a
    topic (`topics`, the pain-point relation) and those without, keyed by their discovered cluster or
    UNCOVERED. Only records are read (enrichments exist for texts only)."""
    t = topics.select(
        occurred_at=topics.occurred_at, product=topics.product,
        kind=ibis.literal("topic", "string"), key=topics.topic_id.cast("string"),
    )
    e = src.enrichments
    e = e.filter(e.topic_id.isnull()).select(e_record_id=e.record_id, cluster_id=e.cluster_id)
    r = src.records
    preds = [r.occurred_at >= span.start] if span.start is not None else []
    if span.end is not None:
        preds.append(r.occurred_at < span.end)
    r = r.filter(*preds) if preds else r
    r = r.select(record_id=r.record_id, occurred_at=r.occurred_at, product=r.product.fill_null("(none)"))
    j = e.inner_join(r, e.e_record_id == r.record_id)
    u = j.select(
        occurred_at=j.occurred_at, product=j.product,
        kind=ibis.cases((j.cluster_id.notnull(), "cluster"), else_="uncovered").cast("string"),
        key=j.cluster_id.fill_null(UNCOVERED).cast("string"),
    )
    return t.union(u)


def daily_counts_expr(t: ir.Table, tz: str) -> ir.Table:
    """Records per series (kind, key) x product x local day."""
    t = t.mutate(day=period_key(t.occurred_at, "day", tz))
    return t.group_by([*SERIES_KEYS, "day"]).aggregate(count=t.count().cast("int64"))


def _matrix(frame: pd.DataFrame, first: date, last: date) -> tuple[pd.MultiIndex, np.ndarray, list[date]]:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    frame = frame.assign(day=pd.to_datetime(frame["day"]).dt.date)
    wide = frame.pivot_table(index=list(SERIES_KEYS), columns="day", values="count", aggfunc="sum")
    wide = wide.reindex(columns=days, fill_value=0).fillna(0)
    return wide.index, wide.to_numpy(np.float64), days


def _ratios(index: pd.MultiIndex, opt: EmergingOptions) -> np.ndarray:
    """The effect-size floor of each series (its O / E must reach it)."""
    kinds = np.asarray(index.get_level_values("kind"))
    return np.where(kinds == "uncovered", opt.uncovered_ratio, opt.min_ratio)


def _detect_at(m: np.ndarray, days: list[date], end: int, opt: EmergingOptions,
               ratio: np.ndarray) -> dict[str, Any]:
    """Test window (end-W, end] against the B baseline days before it; `end` is an index into days."""
    w0 = end - opt.window_days + 1
    b0 = max(w0 - opt.baseline_days, 0)
    base = m[:, b0:w0]
    weekday = np.array([d.weekday() for d in days])
    total = base.sum(axis=0)
    factors = np.ones(7)
    if total.sum() > 0:
        mean = total.mean()
        for w in range(7):
            sel = weekday[b0:w0] == w
            if sel.any() and mean > 0:
                factors[w] = max(total[sel].mean() / mean, 0.2)
    f_base = factors[weekday[b0:w0]]
    level = np.zeros(m.shape[0])
    for j in range(base.shape[1]):  # EWMA over baseline days (B iterations, vectorised over series)
        x = base[:, j] / f_base[j]
        level = x if j == 0 else opt.ewma * x + (1 - opt.ewma) * level
    # never below the plain baseline mean: after a quiet spell the EWMA of a sparse series decays
    # towards zero and its next few mentions would look like a burst
    deseasonalised_mean = (base / f_base).mean(axis=1) if base.shape[1] else np.zeros(m.shape[0])
    level = np.maximum(np.maximum(level, deseasonalised_mean), 1.0 / max(base.shape[1], 1))
    exposure = factors[weekday[w0 : end + 1]].sum()
    expected = level * exposure
    observed = m[:, w0 : end + 1].sum(axis=1)
    # both tests must reject: Poisson against the EWMA level (follows drift), and the exact conditional
    # test of two Poisson rates against the baseline count (a level estimated from a handful of
    # occurrences is uncertain: under equal rates O ~ Binomial(O + b, F_w / (F_w + F_b)))
    share = exposure / (exposure + f_base.sum()) if base.shape[1] else 1.0
    p_conditional = sps.binom.sf(observed - 1, observed + base.sum(axis=1), share)
    p = np.maximum(sps.poisson.sf(observed - 1, expected), p_conditional)
    bonferroni = opt.alpha / max(m.shape[0], 1)
    flagged = (p < bonferroni) & (observed >= opt.min_count) & (observed >= ratio * expected)
    return {"observed": observed, "expected": expected, "p": p, "flagged": flagged, "level": level,
            "factors": factors, "ratio": ratio}


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _row(index: pd.MultiIndex, i: int, res: dict[str, Any], m: np.ndarray, days: list[date],
         end: int, opt: EmergingOptions) -> dict[str, Any]:
    """One issue: its series and the test's figures on the day it was first flagged (`end`, an index
    into days). `first_seen` is the start of the burst within that test window: the day s maximising
    the CUSUM of the excess over the flagging ratio r, sum over d >= s of (y_d - r * E_d), with
    E_d = level x weekday factor (Page's CUSUM change-point estimate; a noisy day before the burst
    rarely beats r x its expectation)."""
    kind, key, product = index[i]
    w0 = max(end - opt.window_days + 1, 0)
    daily_expected = res["level"][i] * res["factors"][[d.weekday() for d in days[w0 : end + 1]]]
    excess = m[i, w0 : end + 1] - res["ratio"][i] * daily_expected
    suffix = np.cumsum(excess[::-1])[::-1]
    onset = days[w0 + int(np.argmax(suffix))]
    return {
        "kind": kind, "series": key, "topic": key if kind == "topic" else None,
        "cluster_id": key if kind == "cluster" else None, "product": product,
        "observed": int(res["observed"][i]), "expected": float(res["expected"][i]),
        "ratio": float(res["observed"][i] / res["expected"][i]), "p_value": float(res["p"][i]),
        "first_detected": days[end].isoformat(), "first_seen": onset.isoformat(),
        "first_seen_week": _monday(onset).isoformat(),
    }


def detect(frame: pd.DataFrame, asof: date, opt: EmergingOptions) -> list[dict[str, Any]]:
    """Series flagged at `asof`, each with the day it was first flagged within the preceding scan_days
    (its figures are those of that first day)."""
    if frame.empty:
        return []
    first = asof - timedelta(days=opt.window_days + opt.baseline_days + opt.scan_days)
    index, m, days = _matrix(frame, first, asof)
    end = len(days) - 1
    ratio = _ratios(index, opt)
    active = _detect_at(m, days, end, opt, ratio)["flagged"]
    first_at: dict[int, tuple[int, dict[str, Any]]] = {}
    for e in range(max(end - opt.scan_days, opt.window_days), end + 1):
        res = _detect_at(m, days, e, opt, ratio)
        for i in np.flatnonzero(res["flagged"] & active):
            first_at.setdefault(int(i), (e, res))
    out = [_row(index, i, res, m, days, e, opt) for i, (e, res) in first_at.items()]
    out.sort(key=lambda r: (r["p_value"], -r["observed"], r["kind"], r["series"], r["product"]))
    return out


def replay(frame: pd.DataFrame, start: date, asof: date, opt: EmergingOptions) -> list[dict[str, Any]]:
    """Every alert a daily run from `start` to `asof` would have raised: one row per episode (a series
    flagged again after more than window_days unflagged days is a new episode), with the figures of
    the episode's first day and `active` (still flagged at `asof`)."""
    if frame.empty or start > asof:
        return []
    first = start - timedelta(days=opt.window_days + opt.baseline_days)
    index, m, days = _matrix(frame, first, asof)
    ratio = _ratios(index, opt)
    last_flag = np.full(m.shape[0], -(10**9))
    out: list[dict[str, Any]] = []
    rows_of: dict[int, dict[str, Any]] = {}
    for e in range(days.index(start), len(days)):
        res = _detect_at(m, days, e, opt, ratio)
        hit = res["flagged"]
        for i in np.flatnonzero(hit & (e - last_flag > opt.window_days)):
            rows_of[int(i)] = _row(index, int(i), res, m, days, e, opt)
            out.append(rows_of[int(i)])
        last_flag[hit] = e
    final = len(days) - 1
    for series, row in rows_of.items():
        row["active"] = bool(last_flag[series] == final)
    for row in out:
        row.setdefault("active", False)
    out.sort(key=lambda r: (r["first_detected"], r["p_value"], r["kind"], r["series"], r["product"]))
    return out


def scan(frame: pd.DataFrame) -> int:
    """Number of series tested (for the report)."""
    return int(frame[list(SERIES_KEYS)].drop_duplicates().shape[0]) if not frame.empty else 0
