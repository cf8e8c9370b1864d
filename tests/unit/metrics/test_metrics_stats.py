"""Interval estimates and tests against textbook values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from cxloop.metrics import stats


def test_wilson_matches_statsmodels_reference_values() -> None:
    # Wilson 95% for 2/5 (reference: statsmodels proportion_confint(2, 5, method="wilson"))
    value, lo, hi = stats.wilson_interval([5, 10, 0], [2, 0, 0])
    assert value[0] == 40.0 and lo[0] == pytest.approx(11.7621, abs=1e-3) and hi[0] == pytest.approx(76.9276, abs=1e-3)
    assert lo[1] == 0.0 and hi[1] == pytest.approx(27.753, abs=1e-3)
    assert np.isnan(value[2])


def test_nps_interval_is_within_bounds_and_covers_extremes() -> None:
    value, lo, hi = stats.nps_interval([10, 10], [10, 0], [0, 10])
    assert value.tolist() == [100.0, -100.0]
    assert hi[0] == 100.0 and lo[0] < 100.0  # adjusted Wald gives a real interval at 100%
    assert lo[1] == -100.0 and hi[1] > -100.0


def test_nps_test_detects_a_real_difference() -> None:
    assert stats.p_nps(400, 200, 100, 400, 100, 200)[0] < 1e-6
    assert stats.p_nps(400, 200, 100, 400, 200, 100)[0] == pytest.approx(1.0)


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 30), rng.normal(0.5, 2, 40)
    expected = sps.ttest_ind(a, b, equal_var=False).pvalue
    got = stats.p_welch(a.size, a.sum(), (a * a).sum(), b.size, b.sum(), (b * b).sum())[0]
    assert got == pytest.approx(expected, rel=1e-6)


def test_two_proportion_test() -> None:
    p = stats.p_proportions(1000, 500, 1000, 400)[0]
    assert p == pytest.approx(7.5e-6, rel=0.2)


def test_median_bootstrap_is_reproducible_and_covers_median() -> None:
    x = np.arange(1, 102, dtype=float)
    a = stats.median_interval(x)
    assert a == stats.median_interval(x)
    assert a[0] == 51.0 and a[1] < 51.0 < a[2]
    big = stats.median_interval(np.arange(50_001, dtype=float))  # order-statistic interval
    assert big[1] < 25_000 < big[2] and big[2] - big[1] < 500
