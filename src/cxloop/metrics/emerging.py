"""Emerging issues: per topic x product daily volumes tested against a weekly-seasonal baseline.

For each series (topic x product) and a test window of W days ending on day e, with the B days before it
as baseline:
  1. weekday factors f_w = mean daily volume of weekday w / mean daily volume, from the total volume over
     the baseline (all series pooled: single series are too sparse to estimate seasonality);
  2. the series' level = EWMA (alpha 0.1) of its deseasonalised baseline counts y_d / f_w(d), floored at
     one occurrence per baseline so a new series can still be flagged;
  3. expected window count E = level * sum of f_w over the window days, observed O;
  4. p = P(X >= O), X ~ Poisson(E) (one-sided), flagged when p < alpha / number of series (Bonferroni),
     O >= min_count and O / E >= min_ratio.
`first_detected` is the first end day e, scanning day by day, on which the series was flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats as sps

from cxloop.metrics.timeframe import period_key

__all__ = ["EmergingOptions", "daily_counts_expr", "detect", "scan"]


@dataclass(frozen=True)
class EmergingOptions:
    window_days: int = 7
    baseline_days: int = 56
    alpha: float = 0.01
    min_count: int = 5
    min_ratio: float = 1.5
    ewma: float = 0.1
    scan_days: int = 14


def daily_counts_expr(t: ir.Table, tz: str) -> ir.Table:
    """Records with a topic per topic x product x local day."""
    t = t.mutate(day=period_key(t.occurred_at, "day", tz))
    return t.group_by(["topic_id", "product", "day"]).aggregate(count=t.count().cast("int64"))


def _matrix(frame: pd.DataFrame, first: date, last: date) -> tuple[pd.MultiIndex, np.ndarray, list[date]]:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    frame = frame.assign(day=pd.to_datetime(frame["day"]).dt.date)
    wide = frame.pivot_table(index=["topic_id", "product"], columns="day", values="count", aggfunc="sum")
    wide = wide.reindex(columns=days, fill_value=0).fillna(0)
    return wide.index, wide.to_numpy(np.float64), days


def _detect_at(m: np.ndarray, days: list[date], end: int, opt: EmergingOptions) -> dict[str, np.ndarray]:
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
    level = np.maximum(level, 1.0 / max(base.shape[1], 1))
    expected = level * factors[weekday[w0 : end + 1]].sum()
    observed = m[:, w0 : end + 1].sum(axis=1)
    p = sps.poisson.sf(observed - 1, expected)
    bonferroni = opt.alpha / max(m.shape[0], 1)
    flagged = (p < bonferroni) & (observed >= opt.min_count) & (observed >= opt.min_ratio * expected)
    return {"observed": observed, "expected": expected, "p": p, "flagged": flagged}


def detect(frame: pd.DataFrame, asof: date, opt: EmergingOptions) -> list[dict[str, Any]]:
    """Flagged series at `asof`, with the day each was first flagged in the preceding scan_days."""
    if frame.empty:
        return []
    first = asof - timedelta(days=opt.window_days + opt.baseline_days + opt.scan_days)
    index, m, days = _matrix(frame, first, asof)
    end = len(days) - 1
    res = _detect_at(m, days, end, opt)
    first_day: list[date | None] = [None] * m.shape[0]
    for e in range(max(end - opt.scan_days, opt.window_days), end + 1):
        hit = _detect_at(m, days, e, opt)["flagged"]
        for i in np.flatnonzero(hit):
            if first_day[i] is None:
                first_day[i] = days[e]
    out = []
    for i in np.flatnonzero(res["flagged"]):
        topic, product = index[i]
        out.append(
            {
                "topic": topic, "product": product, "observed": int(res["observed"][i]),
                "expected": float(res["expected"][i]),
                "ratio": float(res["observed"][i] / res["expected"][i]), "p_value": float(res["p"][i]),
                "first_detected": (first_day[i] or asof).isoformat(),
            }
        )
    out.sort(key=lambda r: (r["p_value"], -r["observed"]))
    return out


def scan(frame: pd.DataFrame, asof: date, opt: EmergingOptions) -> int:
    """Number of series tested at `asof` (for the report)."""
    return int(frame[["topic_id", "product"]].drop_duplicates().shape[0]) if not frame.empty else 0
