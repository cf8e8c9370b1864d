"""CX stars: empirical-Bayes shrinkage (checked against statsmodels' DerSimonian-Laird) and the ranking's
eligibility rules, on constructed agents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from cxloop.loop.stars import dersimonian_laird, rank_stars, shrink


def _csat_units(rng: np.random.Generator) -> pd.DataFrame:
    """CSAT top-2-box counts of 20 ordinary agents (100 answers each, satisfied share 0.6..0.9)."""
    rows = []
    for i in range(20):
        n = 100
        k = int(rng.binomial(n, 0.6 + 0.3 * i / 19))
        rows.append({"unit": f"P{i:02d}", "team": "peers", "n": n, "k": k, "s": 0.0, "ss": 0.0})
    return pd.DataFrame(rows)


def test_dersimonian_laird_matches_statsmodels() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(60, 5, 30)
    v = rng.uniform(1, 30, 30)
    mu, tau2, var_mu = dersimonian_laird(x, v)
    ref = combine_effects(x, v, method_re="dl")
    assert tau2 == pytest.approx(ref.tau2)
    assert mu == pytest.approx(ref.mean_effect_re)
    assert np.sqrt(var_mu) == pytest.approx(ref.sd_eff_w_re)


def test_three_perfect_scores_do_not_top_three_hundred_slightly_lower_ones() -> None:
    peers = _csat_units(np.random.default_rng(1))
    lucky = {"unit": "LUCKY3", "team": "t", "n": 3, "k": 3, "s": 0.0, "ss": 0.0}       # 3 of 3 satisfied: 100%
    steady = {"unit": "STEADY300", "team": "t", "n": 300, "k": 288, "s": 0.0, "ss": 0.0}  # 288 of 300: 96%
    units = pd.concat([peers, pd.DataFrame([lucky, steady])], ignore_index=True)
    frame, fit = shrink("csat", units)
    assert fit is not None and fit.tau2 > 0
    by = frame.set_index("unit")
    assert by.loc["LUCKY3", "score"] == pytest.approx(100.0)
    assert by.loc["STEADY300", "score"] == pytest.approx(96.0)
    # the 3-answer agent is pulled most of the way to the peer mean; the 300-answer one barely moves
    assert by.loc["LUCKY3", "shrunk"] < by.loc["STEADY300", "shrunk"]
    assert abs(by.loc["STEADY300", "shrunk"] - 96.0) < 1.5
    assert by.loc["LUCKY3", "shrunk"] - fit.mu < 0.5 * (100.0 - fit.mu)
    # its interval is the wider one
    assert (by.loc["LUCKY3", "ci_high"] - by.loc["LUCKY3", "ci_low"]) > 2 * (
        by.loc["STEADY300", "ci_high"] - by.loc["STEADY300", "ci_low"])
    rows, _ = rank_stars("csat", units, min_n=1, flagged={})
    order = [r["unit"] for r in rows]
    assert order.index("STEADY300") < order.index("LUCKY3")
    assert rows[0]["unit"] == "STEADY300" and rows[0]["rank"] == 1


def test_too_few_responses_and_integrity_flags_make_an_agent_ineligible() -> None:
    peers = _csat_units(np.random.default_rng(2))
    extra = pd.DataFrame([{"unit": "SMALL", "team": "t", "n": 12, "k": 12, "s": 0.0, "ss": 0.0},
                          {"unit": "GAMED", "team": "t", "n": 150, "k": 149, "s": 0.0, "ss": 0.0}])
    units = pd.concat([peers, extra], ignore_index=True)
    rows, _ = rank_stars("csat", units, min_n=30, flagged={"GAMED": "t", "GONE": "t2"})
    by = {r["unit"]: r for r in rows}
    assert by["GAMED"]["eligible"] is False and by["GAMED"]["excluded_reason"] == "integrity"
    assert by["GAMED"]["rank"] is None
    assert by["SMALL"]["excluded_reason"] == "too_few_responses" and by["SMALL"]["rank"] is None
    # a flagged agent whose answers were all left out is still listed, with its team and no score
    assert by["GONE"]["n"] == 0 and by["GONE"]["score"] is None and by["GONE"]["team"] == "t2"
    ranks = [r["rank"] for r in rows if r["eligible"]]
    assert ranks == list(range(1, 21))
    shrunk = [r["shrunk"] for r in rows if r["eligible"]]
    assert shrunk == sorted(shrunk, reverse=True)


def test_nps_and_3e_units_shrink_toward_the_peer_mean() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for i in range(15):
        n = int(rng.integers(40, 200))
        p = rng.uniform(0.3, 0.6)
        prom = int(rng.binomial(n, p))
        det = int(rng.binomial(n - prom, 0.4))
        rows.append({"unit": f"A{i}", "n": n, "promoters": prom, "detractors": det})
    frame, fit = shrink("nps", pd.DataFrame(rows))
    assert fit is not None
    moved = (frame["shrunk"] - fit.mu).abs() <= (frame["score"] - fit.mu).abs() + 1e-9
    assert moved.all()
    assert frame["shrunk"].between(-100, 100).all()
