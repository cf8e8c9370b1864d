"""Sliding-window distinct counts and the base-rate tests of the Andon rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cxloop.loop.windows import BaseRateTest, series_windows

DAY = 86_400


def _brute(series: np.ndarray, t: np.ndarray, cust: np.ndarray, w: int, h: int) -> list[tuple[int, int, int]]:
    order = np.lexsort((t, series))
    pos = np.empty(len(t), int)
    pos[order] = np.arange(len(t))
    out = []
    for i in range(len(t)):
        win = [j for j in range(len(t)) if series[j] == series[i] and t[i] - w < t[j]
               and (t[j] < t[i] or (t[j] == t[i] and pos[j] <= pos[i]))]
        hist = sum(1 for j in range(len(t)) if series[j] == series[i] and t[i] - w - h < t[j] <= t[i] - w)
        out.append((len({int(cust[j]) for j in win}), len(win), hist))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 60), st.integers(0, 5)), min_size=1, max_size=50))
def test_window_counts_equal_a_brute_force_count(items: list[tuple[int, int, int]]) -> None:
    series = np.array([i[0] for i in items])
    t = np.array([i[1] for i in items], dtype=np.int64) * DAY // 2
    cust = np.array([i[2] for i in items])
    got = series_windows(series, t, cust, 7 * DAY, 20 * DAY)
    assert list(zip(got.distinct.tolist(), got.items.tolist(), got.history.tolist(), strict=True)) == \
        _brute(series, t, cust, 7 * DAY, 20 * DAY)


def test_one_customer_with_three_reports_counts_once() -> None:
    got = series_windows(np.zeros(3, int), np.array([0, DAY, 2 * DAY]), np.array([5, 5, 5]), 7 * DAY, 56 * DAY)
    assert got.distinct.tolist() == [1, 1, 1] and got.items.tolist() == [1, 2, 3]


def test_reports_further_apart_than_the_window_are_not_counted_together() -> None:
    got = series_windows(np.zeros(3, int), np.array([0, 4 * DAY, 8 * DAY]), np.array([1, 2, 3]), 7 * DAY, 56 * DAY)
    assert got.distinct.max() == 2


TEST = BaseRateTest(alpha=1e-6, window_days=7, new_share=0.5, history_days=56)


def _fires(count: int, items: int, own: int, history: int, days: float, other_items: int, other: int) -> bool:
    a = [np.array([v]) for v in (count, items, own, history, days, other_items, other)]
    return bool(TEST.fires(*a)[0][0])


def test_own_history_p_value_is_the_exact_conditional_binomial_test() -> None:
    p = TEST.p_own(np.array([9]), np.array([4]), np.array([56.0]))[0]
    assert p == pytest.approx(stats.binomtest(9, 13, 7 / 63, alternative="greater").pvalue)


def test_other_products_p_value_is_the_exact_conditional_binomial_test() -> None:
    p = TEST.p_other(np.array([8]), np.array([3]), np.array([100]), np.array([900]))[0]
    assert p == pytest.approx(stats.binomtest(8, 11, 0.1, alternative="greater").pvalue)


def test_without_history_only_an_issue_dominating_the_product_fires() -> None:
    assert _fires(3, 3, own=3, history=0, days=0, other_items=0, other=2)  # the public Andon check
    assert not _fires(3, 3, own=30, history=0, days=0, other_items=0, other=400)  # 10 %: a busy first day


def test_a_chronic_issue_does_not_fire_and_a_burst_does() -> None:
    # 40 a week against 300 in the 8 weeks before (37.5 a week): chronic
    assert not _fires(40, 40, own=400, history=300, days=56, other_items=300, other=4000)
    # 7 customers of something never seen in 8 weeks, on no other product
    assert _fires(7, 7, own=600, history=0, days=56, other_items=0, other=4200)
    # with full history, a count too small to test is not unusual, however dominant
    assert not _fires(3, 3, own=4, history=0, days=56, other_items=0, other=4200)
    # the same 7 are unremarkable when the other products have the issue at the same rate
    assert not _fires(7, 7, own=600, history=0, days=56, other_items=49, other=4200)


def test_false_alarm_rate_on_stationary_series_stays_below_alpha() -> None:
    """Windows of stationary Poisson series (rate 5 a week, 8 weeks of history) fire at most at alpha."""
    rng = np.random.default_rng(0)
    n = 200_000
    count = rng.poisson(5, n)
    history = rng.poisson(40, n)
    fired, _, _ = BaseRateTest(1e-3, 7, 0.5, 56).fires(count, count, np.full(n, 500), history, np.full(n, 56.0),
                                                   rng.poisson(50, n), np.full(n, 5000))
    assert fired.mean() <= 1e-3
