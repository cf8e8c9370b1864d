"""CX stars: a monthly ranking of agents or teams that a lucky small sample cannot top.

Each unit's raw score x_i (3E index, NPS or CSAT top-2-box, from the metrics layer's sufficient
statistics) is shrunk toward the peers' mean by empirical Bayes in the normal-normal model
(Efron & Morris 1975): x_i ~ N(theta_i, v_i), theta_i ~ N(mu, tau^2).

- v_i = sigma^2 / n_i, with sigma^2 the per-response variance of the *pooled* responses of all units
  (a unit's own variance is useless at n = 3: three perfect scores have none);
- mu and tau^2 by the DerSimonian-Laird moment estimator (1986) — what
  `statsmodels.stats.meta_analysis.combine_effects(method_re="dl")` computes;
- shrunk_i = mu + (1 - B_i)(x_i - mu), B_i = v_i / (v_i + tau^2); its variance (1 - B_i) v_i + B_i^2 var(mu)
  (Morris 1983, counting the uncertainty of mu), 95% interval +- 1.96 sd.

So 3 perfect scores move little from the peer mean while 300 slightly lower ones keep most of their own
value, and the 300 rank first. Units below `min_n` responses or with an integrity flag that month are
listed, not ranked, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxloop.loop.effects import family_of
from cxloop.metrics.stats import Z95

__all__ = ["Shrinkage", "dersimonian_laird", "rank_stars", "shrink"]


@dataclass(frozen=True)
class Shrinkage:
    mu: float
    tau2: float
    var_mu: float
    sigma2: float


def dersimonian_laird(x: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """(mu, tau^2, var(mu)) of the random-effects model by the DerSimonian-Laird moment estimator."""
    w = 1.0 / v
    xw = float(np.sum(w * x) / np.sum(w))
    q = float(np.sum(w * (x - xw) ** 2))
    k = len(x)
    denom = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (q - (k - 1)) / denom) if k > 1 and denom > 0 else 0.0
    ws = 1.0 / (v + tau2)
    return float(np.sum(ws * x) / np.sum(ws)), tau2, float(1.0 / np.sum(ws))


def _pooled_sigma2(metric: str, stats: pd.DataFrame) -> float:
    """Per-response variance of all units' responses pooled: var(pooled mean) x N."""
    cols = [c for c in stats.columns if c not in ("unit", "team")]
    pooled = stats[cols].astype(np.float64).sum().to_frame().T
    _, var = family_of(metric).estimate(pooled)
    return float(var[0] * pooled["n"].iloc[0])


def shrink(metric: str, stats: pd.DataFrame) -> tuple[pd.DataFrame, Shrinkage | None]:
    """Add score, shrunk, ci_low, ci_high to per-unit sufficient statistics (`unit`, `n`, ...)."""
    s = stats[stats["n"] > 0].reset_index(drop=True)
    if len(s) == 0:
        return s.assign(score=[], shrunk=[], ci_low=[], ci_high=[]), None
    x, _ = family_of(metric).estimate(s)
    sigma2 = _pooled_sigma2(metric, s)
    n = s["n"].to_numpy(np.float64)
    v = np.maximum(sigma2, 1e-12) / n
    ok = np.isfinite(x)
    mu, tau2, var_mu = dersimonian_laird(x[ok], v[ok])
    b = v / (v + tau2) if tau2 > 0 else np.ones_like(v)
    shrunk = mu + (1.0 - b) * (x - mu)
    sd = np.sqrt((1.0 - b) * v + b**2 * var_mu)
    out = s.assign(score=x, shrunk=shrunk, ci_low=shrunk - Z95 * sd, ci_high=shrunk + Z95 * sd)
    return out, Shrinkage(mu, tau2, var_mu, sigma2)


def rank_stars(metric: str, stats: pd.DataFrame, min_n: int, flagged: Mapping[str, str | None]
               ) -> tuple[list[dict[str, Any]], Shrinkage | None]:
    """Rows (best first): eligible units ranked by shrunk score, then the excluded with their reason.
    `flagged` maps the units with an integrity flag to their team."""
    frame, fit = shrink(metric, stats)
    missing = sorted(set(flagged) - set(frame["unit"]))  # flagged units whose responses were all left out
    if missing:
        extra = pd.DataFrame({"unit": missing, "n": 0, "team": [flagged[u] for u in missing]})
        frame = pd.concat([frame, extra], ignore_index=True)
    if len(frame) == 0:
        return [], fit
    reason = np.where(frame["unit"].isin(list(flagged)), "integrity",
                      np.where(frame["n"] < min_n, "too_few_responses", ""))
    frame = frame.assign(excluded_reason=reason, eligible=reason == "")
    frame = frame.sort_values(["eligible", "shrunk", "n"], ascending=[False, False, False]).reset_index(drop=True)
    rows = []
    rank = 0
    for r in frame.to_dict("records"):
        rank += int(r["eligible"])
        team = r.get("team")
        rows.append({"rank": rank if r["eligible"] else None, "unit": r["unit"],
                     "team": None if pd.isna(team) else team,
                     "score": _f(r["score"]), "n": int(r["n"]), "shrunk": _f(r["shrunk"]), "ci_low": _f(r["ci_low"]),
                     "ci_high": _f(r["ci_high"]), "eligible": bool(r["eligible"]),
                     "excluded_reason": r["excluded_reason"] or None})
    return rows, fit


def _f(v: Any) -> float | None:
    x = float(v)
    return x if np.isfinite(x) else None
