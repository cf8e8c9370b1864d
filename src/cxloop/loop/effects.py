"""Before/after effects of a change, with a test, an interval and a difference-in-differences.

Every key-result metric belongs to a *family* that says how its value, its sampling variance and a
two-sample test come from the sufficient statistics the metrics layer aggregates:

- NPS (points): variance of the NPS fraction (p + d - (p - d)^2) / n (multinomial; Rocks 2016); the
  difference of two NPS is tested with z = (NPS2 - NPS1) / sqrt(V1 + V2) and its interval is
  +- z * sqrt(V1 + V2).
- Proportions (a topic's mention share in 0..1; rates such as repeat contact in %): pooled two-proportion
  z-test (what `statsmodels.stats.proportion.proportions_ztest` computes) and the unpooled Wald interval of
  the difference (`confint_proportions_2indep(method="wald")`).
- Means (CES, rating): Welch's t-test and its interval.
- The 3E index: normal test on the index difference with the index's variance (sum of component
  variances / k^2).

Difference-in-differences (Card & Krueger 1994): (treated after - treated before) - (comparison after -
comparison before), with the four samples independent, so its variance is the sum of the four variances;
with unit-level data this equals the interaction coefficient of an OLS regression with heteroscedasticity-
robust (HC0) errors. It keeps a market-wide drift (seen in the comparison group too) from being credited
to the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxloop.metrics import stats
from cxloop.metrics.definitions import METRIC_DEFINITIONS, e3_value_variance

__all__ = [
    "EFFECT_METRICS",
    "Estimate",
    "compare",
    "did",
    "estimate",
    "family_of",
    "nps_worth",
    "verdict",
]

MENTION_SHARE = "mention_share"
EFFECT_METRICS = (
    "nps", "csat", "ces", "rating", "3e", "fcr", "repeat_contact", "transfer", "abandonment", "ivr_lost",
    MENTION_SHARE,
)


@dataclass(frozen=True)
class Estimate:
    """One sample's value (in the metric's unit) with n, its sampling variance and its 95% interval."""

    value: float | None
    n: int
    var: float | None
    ci_low: float | None
    ci_high: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "n": self.n, "ci_low": self.ci_low, "ci_high": self.ci_high}


def _num(x: Any) -> float | None:
    v = float(x)
    return None if not np.isfinite(v) else v


def _row(s: pd.DataFrame | pd.Series | None) -> pd.DataFrame:
    if s is None:
        return pd.DataFrame({"n": [0]})
    return s.to_frame().T.reset_index(drop=True) if isinstance(s, pd.Series) else s.reset_index(drop=True)


# -- families: value and variance from sufficient statistics ------------------------------------------
def _nps(s: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    n, p, d = (s[c].to_numpy(np.float64) for c in ("n", "promoters", "detractors"))
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * (p - d) / n, 1e4 * stats.nps_variance(n, p, d)


def _proportion(scale: float) -> Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]:
    def f(s: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        n, k = s["n"].to_numpy(np.float64), s["k"].to_numpy(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = k / n
            return scale * p, scale**2 * p * (1 - p) / n

    return f


def _mean(s: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    n, t, tt = (s[c].to_numpy(np.float64) for c in ("n", "s", "ss"))
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.maximum(tt - t * t / n, 0.0) / (n - 1)
        return t / n, var / n


def _index(s: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    value, var = e3_value_variance(s)
    return np.asarray(value, np.float64), np.asarray(var, np.float64)


@dataclass(frozen=True)
class Family:
    name: str
    estimate: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]
    test: str
    scale: float = 1.0


_NPS = Family("nps", _nps, "z-test on the difference of two NPS (variance (p+d-(p-d)^2)/n each)")
_PCT = Family("proportion", _proportion(100.0), "pooled two-proportion z-test; Wald interval", 100.0)
_SHARE = Family("proportion", _proportion(1.0), "pooled two-proportion z-test; Wald interval", 1.0)
_MEAN = Family("mean", _mean, "Welch's t-test")
_INDEX = Family("index", _index, "z-test on the index difference")

_FAMILIES = {
    "nps": _NPS, "csat": _PCT, "fcr": _PCT, "repeat_contact": _PCT, "transfer": _PCT, "abandonment": _PCT,
    "ivr_lost": _PCT, MENTION_SHARE: _SHARE, "ces": _MEAN, "rating": _MEAN, "3e": _INDEX,
}


def family_of(metric: str) -> Family:
    return _FAMILIES[metric]


def _interval(metric: str, s: pd.DataFrame) -> tuple[float | None, float | None]:
    """The sample's own 95% interval as `cxloop metrics` reports it (Wilson for shares)."""
    if metric == MENTION_SHARE:
        _, lo, hi = stats.wilson_interval(s["n"], s["k"])
        return _num(lo[0] / 100.0), _num(hi[0] / 100.0)
    out = METRIC_DEFINITIONS[metric].finish(s)
    return _num(np.asarray(out["ci_low"])[0]), _num(np.asarray(out["ci_high"])[0])


def estimate(metric: str, s: pd.DataFrame | pd.Series | None) -> Estimate:
    """The estimate of one row of sufficient statistics (an empty sample has value None)."""
    row = _row(s)
    n = int(row["n"].iloc[0]) if len(row) and pd.notna(row["n"].iloc[0]) else 0
    if n <= 0:
        return Estimate(None, 0, None, None, None)
    value, var = family_of(metric).estimate(row)
    lo, hi = _interval(metric, row)
    return Estimate(_num(value[0]), n, _num(var[0]), lo, hi)


# -- tests ------------------------------------------------------------------------------------------------
def _p_and_half(metric: str, a: pd.DataFrame, b: pd.DataFrame, ea: Estimate, eb: Estimate) -> tuple[float, float]:
    """Two-sided p-value of b - a and the half-width of its 95% interval."""
    fam = family_of(metric)
    assert ea.var is not None and eb.var is not None
    se = float(np.sqrt(ea.var + eb.var))
    if fam.name == "nps":
        p = stats.p_nps(a.n, a.promoters, a.detractors, b.n, b.promoters, b.detractors)[0]
        return float(p), stats.Z95 * se
    if fam.name == "proportion":
        return float(stats.p_proportions(a.n, a.k, b.n, b.k)[0]), stats.Z95 * se
    if fam.name == "mean":
        p = stats.p_welch(a.n, a.s, a.ss, b.n, b.s, b.ss)[0]
        va, vb, na, nb = ea.var, eb.var, ea.n, eb.n
        with np.errstate(divide="ignore", invalid="ignore"):
            df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
        t = float(sps.t.ppf(0.975, df)) if np.isfinite(df) and df > 0 else stats.Z95
        return float(p), t * se
    return float(stats.p_z(np.array([eb.value - ea.value]), np.array([se**2]))[0]), stats.Z95 * se  # type: ignore[operator]


def compare(metric: str, before: pd.DataFrame | pd.Series | None, after: pd.DataFrame | pd.Series | None,
            alpha: float = 0.05) -> dict[str, Any]:
    """`{"before", "after", "difference", "ci_low", "ci_high", "p_value", "significant", "test"}`:
    after - before, in the metric's unit."""
    a, b = _row(before), _row(after)
    ea, eb = estimate(metric, a), estimate(metric, b)
    out: dict[str, Any] = {"before": ea.as_dict(), "after": eb.as_dict(), "difference": None, "ci_low": None,
                           "ci_high": None, "p_value": None, "significant": False, "test": family_of(metric).test}
    if ea.value is None or eb.value is None or ea.n < 2 or eb.n < 2:
        return out
    diff = eb.value - ea.value
    p, half = _p_and_half(metric, a, b, ea, eb)
    out.update(difference=diff, ci_low=_num(diff - half), ci_high=_num(diff + half), p_value=_num(p),
               significant=bool(np.isfinite(p) and p < alpha))
    return out


def did(metric: str, treated: tuple[Any, Any], comparison: tuple[Any, Any], alpha: float = 0.05
        ) -> dict[str, Any]:
    """Difference-in-differences of (before, after) statistics of the treated and comparison groups."""
    tb, ta = (estimate(metric, x) for x in treated)
    cb, ca = (estimate(metric, x) for x in comparison)
    out: dict[str, Any] = {
        "comparison_before": cb.as_dict(), "comparison_after": ca.as_dict(), "comparison_change": None,
        "estimate": None, "ci_low": None, "ci_high": None, "p_value": None, "significant": False,
    }
    parts = (tb, ta, cb, ca)
    if any(e.value is None or e.var is None or e.n < 2 for e in parts):
        return out
    change_c = ca.value - cb.value  # type: ignore[operator]
    est = (ta.value - tb.value) - change_c  # type: ignore[operator]
    se = float(np.sqrt(sum(e.var for e in parts)))  # type: ignore[misc]
    p = float(stats.p_z(np.array([est]), np.array([se**2]))[0])
    out.update(comparison_change=_num(change_c), estimate=_num(est), ci_low=_num(est - stats.Z95 * se),
               ci_high=_num(est + stats.Z95 * se), p_value=_num(p), significant=bool(p < alpha))
    return out


def nps_worth(share_before: float | None, share_after: float | None, nps_mentioners: float | None,
              nps_others: float | None) -> float | None:
    """NPS points a change in a topic's mention share is worth: (share before - share after) x (NPS of
    those who do not mention it - NPS of those who do), both NPS measured before the change. The NPS of a
    population is the share-weighted mean of its two groups' NPS, so this is the movement of the
    population's NPS if the groups' NPS stay as they were."""
    if None in (share_before, share_after, nps_mentioners, nps_others):
        return None
    return (share_before - share_after) * (nps_others - nps_mentioners)  # type: ignore[operator]


def verdict(metric: str, effect: dict[str, Any], alpha: float = 0.05) -> str:
    """One plain sentence (en): what the before/after comparison can and cannot say."""
    diff, p = effect.get("difference"), effect.get("p_value")
    nb, na = effect["before"]["n"], effect["after"]["n"]
    if diff is None or p is None:
        return f"no effect measured: before n={nb}, after n={na} (a side has fewer than 2 units)"
    unit = " points" if metric in ("nps", "3e") else ""
    way = "increase" if diff > 0 else "decrease"
    text = f"{'significant' if p < alpha else 'not significant'} {way} of {abs(diff):.4g}{unit} (p={p:.3g}"
    text += f", 95% CI {effect['ci_low']:.4g} to {effect['ci_high']:.4g}; n {nb} before, {na} after)"
    if p >= alpha:
        text += ": these samples cannot tell this change from chance"
    return text
