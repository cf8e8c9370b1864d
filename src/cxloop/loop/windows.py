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

__all__ = ["BaseRateTest", "SeriesWindows", "series_windows", "window_counts"]


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
    upper = _composite(keys, hi)
    order = np.argsort(upper)  # searches with sorted needles are several times faster (cache locality)
    counts = np.empty(len(keys), dtype=np.int64)
    counts[order] = (np.searchsorted(composite, upper[order], side="right")
                     - np.searchsorted(composite, _composite(keys[order], lo[order]), side="right"))
    return counts


def _composite(keys: np.ndarray, t: np.ndarray) -> np.ndarray:
    # one sortable int64: series codes below 2**28, seconds from 1698 to 2514 (t + 2**33 < 2**35)
    return (keys.astype(np.int64) << 35) + (t.astype(np.int64) + (1 << 33))


def series_windows(series: np.ndarray, t: np.ndarray, customer: np.ndarray, window_s: int,
                   history_s: int, at: np.ndarray | None = None) -> SeriesWindows:
    """Window statistics per item; `series`, `customer` are integer codes, `t` seconds (int64). With `at`
    (a boolean mask), only the masked items get their statistics (the others read 0): the sorts still
    see every item, the searches only the masked ones."""
    n = len(series)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return SeriesWindows(empty, empty, empty)
    order = np.lexsort((t, series))
    s, ts, cu = series[order], t[order], customer[order]
    comp = _composite(s, ts)
    pos = np.arange(n) if at is None else np.flatnonzero(at[order])  # sorted positions asked for
    start = np.searchsorted(comp, _composite(s[pos], ts[pos] - window_s), side="right")  # first inside
    items = pos - start + 1
    # repeats: the previous item of the same (series, customer), if inside a window with this item
    by_customer = _by_customer(s, cu, ts)
    same = (s[by_customer][1:] == s[by_customer][:-1]) & (cu[by_customer][1:] == cu[by_customer][:-1])
    prev_pos = by_customer[:-1][same]  # positions (in the time order) of predecessors
    rep_pos = by_customer[1:][same]
    close = ts[rep_pos] - ts[prev_pos] < window_s
    prev_pos, rep_pos = prev_pos[close], rep_pos[close]
    # item i counts repeat j when j <= i and t_i - W < t_p (same series): i in [j, last]
    ahead = np.argsort(prev_pos)  # sorted needles: prev_pos in time order within each series
    prev_pos, rep_pos = prev_pos[ahead], rep_pos[ahead]
    last = np.searchsorted(comp, _composite(s[prev_pos], ts[prev_pos] + window_s), side="left") - 1
    diff = np.bincount(rep_pos, minlength=n + 1) - np.bincount(last + 1, minlength=n + 1)
    repeats = np.cumsum(diff[:n])[pos]
    hist_hi = np.searchsorted(comp, _composite(s[pos], ts[pos] - window_s), side="right")
    hist_lo = np.searchsorted(comp, _composite(s[pos], ts[pos] - window_s - history_s), side="right")
    out = np.zeros((3, n), dtype=np.int64)
    where = order[pos]
    out[0, where], out[1, where], out[2, where] = items - repeats, items, hist_hi - hist_lo
    return SeriesWindows(distinct=out[0], items=out[1], history=out[2])


def _by_customer(s: np.ndarray, cu: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """The order by (series, customer, time) of items already in (series, time) order."""
    if len(cu) and int(cu.min()) >= 0 and int(cu.max()) < 1 << 32:  # one int64 key; a stable sort keeps time
        return np.argsort((s.astype(np.int64) << 32) | cu.astype(np.int64), kind="stable")
    return np.lexsort((ts, cu, s))


@dataclass(frozen=True)
class BaseRateTest:
    """Is a window's count of customers unusual for this product? Two exact conditional tests for
    comparing Poisson rates (the count c against a baseline count b with exposures e_c and e_b:
    p = P(X >= c), X ~ Binomial(c + b, e_c / (e_c + e_b)); Przyborowski & Wilenski 1940):

    - own history: b = the series' reports in the `available` days before the window (at most
      `history_days`), exposures W and `available` days;
    - other products: b = the issue's reports on the other products in the same window, exposures the
      product's and the other products' report counts.

    A test can only reject when even b = 0 would give p < alpha; one that cannot (too little history, too
    few other reports) is *not testable* and is skipped. A testable test must reject. When the own-history
    test is not testable and the history is shorter than `history_days` — the data start, a new product —
    the issue must instead make up at least `new_share` of the product's reports in the window: without a
    baseline only an issue that dominates the product's complaints stands out. Under the baseline rate a
    testable window fires with probability at most alpha
    (the false-alarm rate per product, issue and window).
    """

    alpha: float
    window_days: int
    new_share: float
    history_days: int

    def p_own(self, count: np.ndarray, history: np.ndarray, available_days: np.ndarray) -> np.ndarray:
        share = self.window_days / (self.window_days + np.maximum(available_days, 0.0))
        return _exceeds(count, history, share)

    def p_other(self, count: np.ndarray, other_items: np.ndarray, own_reports: np.ndarray,
                other_reports: np.ndarray) -> np.ndarray:
        total = np.maximum(own_reports + other_reports, 1)
        return _exceeds(count, other_items, np.where(other_reports > 0, own_reports / total, 1.0))

    def fires(self, count: np.ndarray, items: np.ndarray, own_reports: np.ndarray, history: np.ndarray,
              available_days: np.ndarray, other_items: np.ndarray, other_reports: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(fired, p own history, p other products); p is 1 where a test is not testable."""
        p_own = self.p_own(count, history, available_days)
        own_testable = self.p_own(count, np.zeros_like(history), available_days) < self.alpha
        p_other = self.p_other(count, other_items, own_reports, other_reports)
        other_testable = self.p_other(count, np.zeros_like(other_items), own_reports, other_reports) < self.alpha
        dominant = items >= self.new_share * np.maximum(own_reports, 1)
        full = available_days >= self.history_days  # a full history and too few customers: nothing unusual
        own_ok = np.where(own_testable, p_own < self.alpha, ~full & dominant)
        other_ok = ~other_testable | (p_other < self.alpha)
        return own_ok & other_ok, np.where(own_testable, p_own, 1.0), np.where(other_testable, p_other, 1.0)


def _exceeds(count: np.ndarray, baseline: np.ndarray, share: np.ndarray) -> np.ndarray:
    """P(X >= count) for X ~ Binomial(count + baseline, share)."""
    return np.asarray(stats.binom.sf(count - 1, count + baseline, np.clip(share, 0.0, 1.0)), dtype=np.float64)
