"""Sliding-window counts over time-ordered series, and the base-rate test of the Andon rule.

Items are (series, time, customer) triples, e.g. one report of one issue on one product. For every item
the functions below give, over the trailing window (t - W, t] of its series, the number of *distinct*
customers, and the counts a base rate is estimated from — all vectorised (sorts, `searchsorted` and one
cumulative sum; no per-item Python).

Distinct customers in a sliding window: a window holds (items) - (items whose previous item of the same
customer in the series is also in the window). Each such *repeat* j (with predecessor p) is inside the
windows of exactly the items i with j <= i and t_i - W < t_p, an index interval, so all repeats are
added with one difference array and a cumulative sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["BaseRateTest", "SeriesWindows", "series_windows", "test_base_rate", "window_counts"]


@dataclass(frozen=True)
class SeriesWindows:
    """Per item, in the caller's order."""

    distinct: np.ndarray  # distinct customers of the series in (t - W, t]
    items: np.ndarray  # items of the series in (t - W, t]
    history: np.ndarray  # items of the series in (t - W - H, t - W]


def window_counts(sorted_keys: np.ndarray, sorted_t: np.ndarray, keys: np.ndarray, lo: np.ndarray,
                  hi: np.ndarray) -> np.ndarray:
    """How many entries of (sorted_keys, sorted_t) — sorted by key, then time — have key `keys[i]` and a
    time in (lo[i], hi[i]]."""
    composite = _composite(sorted_keys, sorted_t)
    right = np.searchsorted(composite, _composite(keys, hi), side="right")
    left = np.searchsorted(composite, _composite(keys, lo), side="right")
    return (right - left).astype(np.int64)


def _composite(keys: np.ndarray, t: np.ndarray) -> np.ndarray:
    # one sortable int64: series codes below 2**28, seconds from 1698 to 2514 (t + 2**33 < 2**35)
    return (keys.astype(np.int64) << 35) + (t.astype(np.int64) + (1 << 33))


def series_windows(series: np.ndarray, t: np.ndarray, customer: np.ndarray, window_s: int,
                   history_s: int) -> SeriesWindows:
    """Window statistics per item; `series`, `customer` are integer codes, `t` seconds (int64)."""
    n = len(series)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return SeriesWindows(empty, empty, empty)
    order = np.lexsort((t, series))
    s, ts, cu = series[order], t[order], customer[order]
    comp = _composite(s, ts)
    start = np.searchsorted(comp, _composite(s, ts - window_s), side="right")  # first index inside
    items = np.arange(n) - start + 1
    # repeats: the previous item of the same (series, customer), if inside a window with this item
    by_customer = np.lexsort((ts, cu, s))
    same = (s[by_customer][1:] == s[by_customer][:-1]) & (cu[by_customer][1:] == cu[by_customer][:-1])
    prev_pos = by_customer[:-1][same]  # positions (in the time order) of predecessors
    rep_pos = by_customer[1:][same]
    close = ts[rep_pos] - ts[prev_pos] < window_s
    prev_pos, rep_pos = prev_pos[close], rep_pos[close]
    # item i counts repeat j when j <= i and t_i - W < t_p (same series): i in [j, last]
    last = np.searchsorted(comp, _composite(s[prev_pos], ts[prev_pos] + window_s), side="left") - 1
    diff = np.bincount(rep_pos, minlength=n + 1) - np.bincount(last + 1, minlength=n + 1)
    repeats = np.cumsum(diff[:n])
    history = window_counts(s, ts, s, ts - window_s - history_s, ts - window_s)
    out = np.empty((3, n), dtype=np.int64)
    out[0, order], out[1, order], out[2, order] = items - repeats, items, history
    return SeriesWindows(distinct=out[0], items=out[1], history=out[2])


@dataclass(frozen=True)
class BaseRateTest:
    """A one-sided Poisson test of a window's count against the larger of two baselines.

    - own history: the series' items in the `history_days` before the window, scaled to the window
      (history * W / H; days before the data starts count as quiet);
    - other products: the issue's share of the other products' reports in the same window, times this
      product's reports in the window;
    - and a floor `min_expected`, so that an issue never seen anywhere still needs `customers` reports.
    Under the baseline rate, a window's count reaches significance with probability <= alpha: the
    false-alarm rate per (product, issue) and window.
    """

    alpha: float
    min_expected: float
    window_days: int
    history_days: int

    def expected(self, history: np.ndarray, other_items: np.ndarray, other_reports: np.ndarray,
                 own_reports: np.ndarray) -> np.ndarray:
        own = history * (self.window_days / self.history_days)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(other_reports > 0, other_items / np.maximum(other_reports, 1), 0.0)
        return np.maximum(np.maximum(own, share * own_reports), self.min_expected)

    def p_values(self, count: np.ndarray, expected: np.ndarray) -> np.ndarray:
        """P(X >= count) for X ~ Poisson(expected)."""
        return np.asarray(stats.poisson.sf(count - 1, expected), dtype=np.float64)


def test_base_rate(test: BaseRateTest, count: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Whether each count is significantly above its expected value."""
    return test.p_values(count, expected) < test.alpha
