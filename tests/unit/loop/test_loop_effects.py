"""Before/after effects and difference-in-differences, checked against independent computations on the
unit-level data (statsmodels, scipy)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from cxloop.loop import effects as fx


def _nps_stats(scores: np.ndarray) -> pd.Series:
    return pd.Series({"n": len(scores), "promoters": int((scores >= 9).sum()), "detractors": int((scores <= 6).sum())})


def _share_stats(flags: np.ndarray) -> pd.Series:
    return pd.Series({"n": len(flags), "k": int(flags.sum())})


def _mean_stats(x: np.ndarray) -> pd.Series:
    return pd.Series({"n": len(x), "s": float(x.sum()), "ss": float((x * x).sum())})


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(13)


def test_nps_difference_matches_a_z_test_on_the_promoter_minus_detractor_values(rng: np.random.Generator) -> None:
    a = rng.choice(11, 400, p=np.r_[[0.05] * 7, [0.1] * 2, [0.2] * 2] / np.r_[[0.05] * 7, [0.1] * 2, [0.2] * 2].sum())
    b = rng.integers(0, 11, 350)
    out = fx.compare("nps", _nps_stats(a), _nps_stats(b))
    # independently: NPS is the mean of +100/0/-100 per answer; its variance is the population variance / n
    va, vb = (np.where(x >= 9, 100.0, np.where(x <= 6, -100.0, 0.0)) for x in (a, b))
    diff = vb.mean() - va.mean()
    se = np.sqrt(va.var(ddof=0) / len(va) + vb.var(ddof=0) / len(vb))
    assert out["before"]["value"] == pytest.approx(va.mean())
    assert out["difference"] == pytest.approx(diff)
    assert out["p_value"] == pytest.approx(2 * sps.norm.sf(abs(diff / se)))
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((diff - 1.959964 * se, diff + 1.959964 * se), rel=1e-5)
    assert out["before"]["n"] == 400 and out["after"]["n"] == 350


def test_share_difference_is_the_pooled_two_proportion_test_with_a_wald_interval(rng: np.random.Generator) -> None:
    before, after = rng.random(514) < 0.49, rng.random(665) < 0.08
    out = fx.compare("mention_share", _share_stats(before), _share_stats(after))
    _, p = proportions_ztest([after.sum(), before.sum()], [len(after), len(before)])
    lo, hi = confint_proportions_2indep(after.sum(), len(after), before.sum(), len(before), method="wald")
    assert out["p_value"] == pytest.approx(p)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((lo, hi))
    assert out["before"]["value"] == pytest.approx(before.mean())
    assert out["significant"] is True


def test_rate_metrics_are_in_percent_and_means_use_welch(rng: np.random.Generator) -> None:
    a, b = rng.random(300) < 0.2, rng.random(280) < 0.25
    out = fx.compare("repeat_contact", _share_stats(a), _share_stats(b))
    assert out["difference"] == pytest.approx(100 * (b.mean() - a.mean()))
    x, y = rng.normal(5.0, 1.0, 80), rng.normal(5.4, 2.0, 60)
    m = fx.compare("ces", _mean_stats(x), _mean_stats(y))
    t = sps.ttest_ind(y, x, equal_var=False)
    ci = t.confidence_interval()
    assert m["p_value"] == pytest.approx(t.pvalue)
    assert (m["ci_low"], m["ci_high"]) == pytest.approx((ci.low, ci.high))


def _ols_did(values: list[np.ndarray]) -> tuple[float, float]:
    """Interaction coefficient and its HC0 standard error of y ~ treated * after."""
    tb, ta, cb, ca = values
    y = np.concatenate(values)
    treated = np.r_[np.ones(len(tb) + len(ta)), np.zeros(len(cb) + len(ca))]
    after = np.r_[np.zeros(len(tb)), np.ones(len(ta)), np.zeros(len(cb)), np.ones(len(ca))]
    x = sm.add_constant(np.column_stack([treated, after, treated * after]))
    fit = sm.OLS(y, x).fit(cov_type="HC0")
    return float(fit.params[3]), float(fit.bse[3])


def test_difference_in_differences_equals_the_ols_interaction_with_robust_errors(rng: np.random.Generator) -> None:
    groups = [rng.integers(0, 11, n) for n in (200, 260, 1500, 1800)]
    groups[1] = np.clip(groups[1] + 2, 0, 10)
    out = fx.did("nps", (_nps_stats(groups[0]), _nps_stats(groups[1])),
                 (_nps_stats(groups[2]), _nps_stats(groups[3])))
    est, se = _ols_did([np.where(g >= 9, 100.0, np.where(g <= 6, -100.0, 0.0)) for g in groups])
    assert out["estimate"] == pytest.approx(est)
    assert (out["ci_high"] - out["ci_low"]) / (2 * 1.959964) == pytest.approx(se, rel=1e-5)
    assert out["p_value"] == pytest.approx(2 * sps.norm.sf(abs(est / se)), rel=1e-5)
    shares = [rng.random(n) < p for n, p in ((500, 0.4), (600, 0.1), (4000, 0.05), (5000, 0.06))]
    s_out = fx.did("mention_share", (_share_stats(shares[0]), _share_stats(shares[1])),
                   (_share_stats(shares[2]), _share_stats(shares[3])))
    s_est, s_se = _ols_did([s.astype(float) for s in shares])
    assert s_out["estimate"] == pytest.approx(s_est)
    assert (s_out["ci_high"] - s_out["ci_low"]) / (2 * 1.959964) == pytest.approx(s_se, rel=1e-5)


def test_a_small_sample_is_reported_not_significant_in_plain_words() -> None:
    before = pd.Series({"n": 15, "promoters": 3, "detractors": 9})
    after = pd.Series({"n": 20, "promoters": 6, "detractors": 7})
    out = fx.compare("nps", before, after)
    assert out["difference"] == pytest.approx(-5.0 - -40.0)
    assert out["significant"] is False
    text = fx.verdict("nps", out)
    assert text.startswith("not significant increase of 35 points")
    assert "cannot tell this change from chance" in text


def test_an_empty_side_measures_no_effect() -> None:
    out = fx.compare("nps", pd.Series({"n": 0, "promoters": 0, "detractors": 0}),
                     pd.Series({"n": 10, "promoters": 5, "detractors": 1}))
    assert out["difference"] is None and out["significant"] is False
    assert out["before"]["value"] is None and out["after"]["value"] == pytest.approx(40.0)
    assert fx.verdict("nps", out).startswith("no effect measured")


def test_nps_worth_is_the_share_change_times_the_gap_between_groups() -> None:
    # 48.6% mention the topic at NPS -85.6, the others are at +7.95; the share falls to 8%
    assert fx.nps_worth(0.486, 0.08, -85.6, 7.95) == pytest.approx((0.486 - 0.08) * (7.95 + 85.6))
    assert fx.nps_worth(None, 0.08, -85.6, 7.95) is None
