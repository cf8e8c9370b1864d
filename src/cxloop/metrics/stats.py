"""Interval estimates and two-sample tests, vectorised over groups (numpy arrays of sufficient statistics).

- NPS: adjusted-Wald interval from the multinomial variance (Rocks 2016, "Interval estimation for the
  net promoter score", The American Statistician 70(4)): add 3/4 to promoters and to detractors and 3 to
  n, then centre +- z * sqrt((p + d - (p - d)^2) / n). Good coverage at small n and at 0%/100%.
- Proportions: Wilson score interval (Wilson 1927).
- Means: Student-t interval from n, sum and sum of squares.
- Medians: percentile bootstrap (Efron & Tibshirani 1993), B = 1000, fixed seed for reproducible
  output; above 20,000 values the distribution-free order-statistic interval (same asymptotics, no
  resampling cost).
- Tests (--compare previous): z-test on the NPS difference with the two multinomial variances; pooled
  two-proportion z-test; Welch's t-test; Mann-Whitney U for medians.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

__all__ = [
    "Z95",
    "mean_interval",
    "median_interval",
    "nps_interval",
    "nps_variance",
    "p_mann_whitney",
    "p_nps",
    "p_proportions",
    "p_welch",
    "p_z",
    "wilson_interval",
]

Z95 = float(sps.norm.ppf(0.975))
Arr = npt.NDArray[np.float64]
_BOOT = 1000
_BOOT_MAX_N = 20_000


def _f(x: npt.ArrayLike) -> Arr:
    return np.atleast_1d(np.asarray(x, dtype=np.float64))


def nps_variance(n: npt.ArrayLike, promoters: npt.ArrayLike, detractors: npt.ArrayLike) -> Arr:
    """Variance of the NPS *fraction* (-1..1): (p + d - (p - d)^2) / n (multinomial)."""
    n_, p, d = _f(n), _f(promoters), _f(detractors)
    with np.errstate(divide="ignore", invalid="ignore"):
        pp, dd = p / n_, d / n_
        return (pp + dd - (pp - dd) ** 2) / n_


def nps_interval(
    n: npt.ArrayLike, promoters: npt.ArrayLike, detractors: npt.ArrayLike, z: float = Z95
) -> tuple[Arr, Arr, Arr]:
    """NPS in points with its adjusted-Wald 95% interval, clipped to [-100, 100]."""
    n_, p, d = _f(n), _f(promoters), _f(detractors)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 100.0 * (p - d) / n_
        na = n_ + 3.0
        pa, da = (p + 0.75) / na, (d + 0.75) / na
        centre = pa - da
        se = np.sqrt(np.maximum(pa + da - centre**2, 0.0) / na)
    lo = np.clip(100.0 * (centre - z * se), -100.0, 100.0)
    hi = np.clip(100.0 * (centre + z * se), -100.0, 100.0)
    empty = n_ <= 0
    return np.where(empty, np.nan, value), np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


def wilson_interval(n: npt.ArrayLike, k: npt.ArrayLike, z: float = Z95) -> tuple[Arr, Arr, Arr]:
    """Rate in % with the Wilson score interval."""
    n_, k_ = _f(n), _f(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k_ / n_
        denom = 1.0 + z**2 / n_
        centre = (p + z**2 / (2 * n_)) / denom
        half = z * np.sqrt(p * (1 - p) / n_ + z**2 / (4 * n_**2)) / denom
    empty = n_ <= 0
    lo = np.where(k_ <= 0, 0.0, 100.0 * np.clip(centre - half, 0, 1))
    hi = np.where(k_ >= n_, 100.0, 100.0 * np.clip(centre + half, 0, 1))
    return np.where(empty, np.nan, 100.0 * p), np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


def _mean_var(n: Arr, s: Arr, ss: Arr) -> tuple[Arr, Arr]:
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s / n
        var = np.maximum(ss - s * s / n, 0.0) / (n - 1)
    return mean, var


def mean_interval(n: npt.ArrayLike, s: npt.ArrayLike, ss: npt.ArrayLike) -> tuple[Arr, Arr, Arr]:
    """Mean with a Student-t 95% interval (undefined, NaN, below two observations)."""
    n_ = _f(n)
    mean, var = _mean_var(n_, _f(s), _f(ss))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = sps.t.ppf(0.975, np.maximum(n_ - 1, 1))
        half = t * np.sqrt(var / n_)
    ok = n_ >= 2
    return np.where(n_ > 0, mean, np.nan), np.where(ok, mean - half, np.nan), np.where(ok, mean + half, np.nan)


def median_interval(values: npt.ArrayLike, seed: int = 20260101) -> tuple[float, float, float]:
    """Median with a 95% percentile-bootstrap interval (order-statistic interval for large samples)."""
    x = np.sort(_f(values))
    n = x.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    med = float(np.median(x))
    if n == 1:
        return med, float("nan"), float("nan")
    if n > _BOOT_MAX_N:
        lo_i = int(np.floor(n / 2 - Z95 * np.sqrt(n) / 2))
        hi_i = int(np.ceil(1 + n / 2 + Z95 * np.sqrt(n) / 2))
        return med, float(x[max(lo_i - 1, 0)]), float(x[min(hi_i - 1, n - 1)])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(_BOOT, n))
    meds = np.median(x[idx], axis=1)
    lo, hi = np.percentile(meds, [2.5, 97.5])
    return med, float(lo), float(hi)


def p_z(diff: npt.ArrayLike, var: npt.ArrayLike) -> Arr:
    """Two-sided p-value of a difference with known variance (normal approximation)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = _f(diff) / np.sqrt(_f(var))
    p = 2.0 * sps.norm.sf(np.abs(z))
    return np.where(np.isfinite(z), p, np.where(_f(diff) == 0, 1.0, np.nan))


def p_nps(
    n1: npt.ArrayLike, p1: npt.ArrayLike, d1: npt.ArrayLike,
    n2: npt.ArrayLike, p2: npt.ArrayLike, d2: npt.ArrayLike,
) -> Arr:
    """Two-sample test of NPS difference: z = (NPS1 - NPS2) / sqrt(V1 + V2)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = (_f(p1) - _f(d1)) / _f(n1) - (_f(p2) - _f(d2)) / _f(n2)
    return p_z(diff, nps_variance(n1, p1, d1) + nps_variance(n2, p2, d2))


def p_proportions(n1: npt.ArrayLike, k1: npt.ArrayLike, n2: npt.ArrayLike, k2: npt.ArrayLike) -> Arr:
    """Pooled two-proportion z-test."""
    a, b, c, d = _f(n1), _f(k1), _f(n2), _f(k2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pool = (b + d) / (a + c)
        var = pool * (1 - pool) * (1 / a + 1 / c)
        return p_z(b / a - d / c, var)


def p_welch(
    n1: npt.ArrayLike, s1: npt.ArrayLike, ss1: npt.ArrayLike,
    n2: npt.ArrayLike, s2: npt.ArrayLike, ss2: npt.ArrayLike,
) -> Arr:
    """Welch's unequal-variance t-test from sufficient statistics."""
    a, c = _f(n1), _f(n2)
    m1, v1 = _mean_var(a, _f(s1), _f(ss1))
    m2, v2 = _mean_var(c, _f(s2), _f(ss2))
    with np.errstate(divide="ignore", invalid="ignore"):
        se2 = v1 / a + v2 / c
        t = (m1 - m2) / np.sqrt(se2)
        df = se2**2 / ((v1 / a) ** 2 / (a - 1) + (v2 / c) ** 2 / (c - 1))
        p = 2.0 * sps.t.sf(np.abs(t), df)
    return np.where(np.isfinite(p), p, np.where(m1 == m2, 1.0, np.nan))


def p_mann_whitney(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Two-sided Mann-Whitney U test (NaN when a sample is empty)."""
    x, y = _f(a), _f(b)
    if x.size == 0 or y.size == 0:
        return float("nan")
    return float(sps.mannwhitneyu(x, y, alternative="two-sided").pvalue)
