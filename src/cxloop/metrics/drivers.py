"""Key-driver analysis: which topics (and dimensions) move NPS or CSAT, and what fixing one is worth.

Target per response: NPS as +100 (promoter) / 0 (passive) / -100 (detractor); CSAT as top-2-box (100 if
4-5, else 0). For a feature (the primary topic, or a dimension such as channel) with levels t:

    importance_t = 100 * n_t * (mean_t - mean)^2 / SST
        the level's part of the between-group sum of squares of a one-way ANOVA: the parts add up to the
        feature's eta^2 (the R^2 of regressing the target on the level indicators), so they are an exact
        additive decomposition of explained variance (% of target variance).
    effect_t = mean_t - mean_(not t)            signed: negative topics pull the score down
    uplift_t = 100 * bad_t / N                  points gained if the level's detractors became passives
                                                (NPS), or its dissatisfied became satisfied (CSAT)

95% CIs from a multinomial bootstrap of the level x answer-category counts (B = 500, seeded): it
resamples respondents exactly as a nonparametric bootstrap would, from sufficient statistics.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

__all__ = ["analyse_drivers", "driver_counts_expr"]

_B = 500


def driver_counts_expr(t: ir.Table, feature: str, target: str) -> ir.Table:
    """Counts per feature level x answer category (y in {100, 0, -100} for NPS, {100, 0} for CSAT)."""
    col = "topic_id" if feature == "topic" else feature
    t = t.filter(t[target].notnull())
    if target == "nps":
        y = ibis.cases((t.nps >= 9, 100), (t.nps <= 6, -100), else_=0).cast("int64")
    else:
        y = ibis.cases((t.csat >= 4, 100), else_=0).cast("int64")
    t = t.mutate(level=t[col].fill_null("(none)"), y=y)
    return t.group_by(["level", "y"]).aggregate(count=t.count().cast("int64"))


def _decompose(counts: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """counts: (..., L, C). Returns importance (%), effect, uplift-base per level, vectorised over '...'."""
    n_l = counts.sum(axis=-1)
    n = n_l.sum(axis=-1, keepdims=True)
    s_l = (counts * ys).sum(axis=-1)
    ss = (counts * ys**2).sum(axis=(-1, -2))
    total = s_l.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        mean_l = s_l / n_l
        sst = ss[..., None] - n * mean**2
        importance = np.where(sst > 0, 100.0 * n_l * (mean_l - mean) ** 2 / sst, 0.0)
        rest = (total - s_l) / (n - n_l)
        effect = mean_l - rest
    return np.nan_to_num(importance), effect, n


def analyse_drivers(frame: pd.DataFrame, target: str, min_n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Driver rows for one feature from `driver_counts_expr` output, ranked by importance."""
    if frame.empty:
        return []
    wide = frame.pivot_table(index="level", columns="y", values="count", aggfunc="sum", fill_value=0)
    ys = np.array(sorted(wide.columns), dtype=np.float64)
    wide = wide[sorted(wide.columns)]
    counts = wide.to_numpy(np.float64)
    bad_col = 0  # the lowest category: detractors (NPS) or not satisfied (CSAT)
    imp, eff, n = _decompose(counts, ys)
    uplift = 100.0 * counts[:, bad_col] / n[0]
    rng = np.random.default_rng(seed)
    total = int(counts.sum())
    draws = rng.multinomial(total, (counts / total).ravel(), size=_B).reshape(_B, *counts.shape)
    b_imp, b_eff, b_n = _decompose(draws.astype(np.float64), ys)
    b_up = 100.0 * draws[:, :, bad_col] / b_n
    lo_i, hi_i = np.nanpercentile(b_imp, [2.5, 97.5], axis=0)
    lo_u, hi_u = np.nanpercentile(b_up, [2.5, 97.5], axis=0)
    lo_e, hi_e = np.nanpercentile(b_eff, [2.5, 97.5], axis=0)
    n_l = counts.sum(axis=1)
    rows = []
    for i, level in enumerate(wide.index):
        rows.append(
            {
                "level": level, "n": int(n_l[i]), "mean": float((counts[i] * ys).sum() / n_l[i]),
                "effect": _num(eff[i]), "effect_ci_low": _num(lo_e[i]), "effect_ci_high": _num(hi_e[i]),
                "importance": float(imp[i]), "importance_ci_low": float(lo_i[i]),
                "importance_ci_high": float(hi_i[i]), "uplift": float(uplift[i]),
                "uplift_ci_low": float(lo_u[i]), "uplift_ci_high": float(hi_u[i]),
                "low_n": bool(n_l[i] < min_n),
            }
        )
    rows.sort(key=lambda r: (r["low_n"], -r["importance"]))
    return rows


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)
