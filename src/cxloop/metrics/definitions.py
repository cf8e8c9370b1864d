"""Metric definitions: for each metric, its unit relation, its sufficient statistics (Ibis aggregates)
and how those become a value with a 95% interval and a two-sample p-value (numpy, `stats`).

A registry maps names to definitions (no `if metric == ...` chains). A definition with `raw_values`
needs the unit values themselves (medians), not aggregates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxloop.metrics import relations as rel
from cxloop.metrics import stats
from cxloop.metrics.query import ENRICHMENT_DIMENSIONS, MetricQuery
from cxloop.model import events as ev

__all__ = ["METRIC_DEFINITIONS", "MetricDefinition", "e3_value_variance"]

Relation = Callable[[rel.Sources, MetricQuery], ir.Table]
Aggregates = Callable[[ir.Table], dict[str, ir.Value]]
Finish = Callable[[pd.DataFrame], dict[str, Any]]
PValue = Callable[[pd.DataFrame, pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class MetricDefinition:
    """How one metric is computed; `finish` returns value/ci_low/ci_high (+extras) arrays per row."""

    name: str
    unit: str
    relation: Relation
    aggregates: Aggregates
    finish: Finish
    p_value: PValue
    raw_values: bool = False
    notes: tuple[str, ...] = field(default=())


def _int(expr: ir.Value) -> ir.Value:
    return expr.cast("int64")


def _flag(cond: ir.BooleanValue) -> ir.Value:
    return ibis.cases((cond, 1), else_=0).cast("int64")


def _fsum(expr: ir.Value) -> ir.Value:
    return expr.cast("float64").sum().cast("float64")


# -- NPS -------------------------------------------------------------------------------------------
def _nps_rel(src: rel.Sources, q: MetricQuery) -> ir.Table:
    return rel.responses(src, with_enrichment=_needs_enrichment(q), present="nps")


def _nps_aggs(t: ir.Table) -> dict[str, ir.Value]:
    return {
        "n": _int(t.count()),
        "promoters": _int(_flag(t.nps >= 9).sum()),
        "detractors": _int(_flag(t.nps <= 6).sum()),
    }


def _nps_finish(s: pd.DataFrame) -> dict[str, Any]:
    value, lo, hi = stats.nps_interval(s.n, s.promoters, s.detractors)
    return {"value": value, "ci_low": lo, "ci_high": hi,
            "promoters_pct": 100.0 * s.promoters / s.n, "detractors_pct": 100.0 * s.detractors / s.n}


def _nps_p(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    return stats.p_nps(a.n, a.promoters, a.detractors, b.n, b.promoters, b.detractors)


# -- proportions -------------------------------------------------------------------------------------
def _prop_finish(s: pd.DataFrame) -> dict[str, Any]:
    value, lo, hi = stats.wilson_interval(s.n, s.k)
    return {"value": value, "ci_low": lo, "ci_high": hi}


def _prop_p(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    return stats.p_proportions(a.n, a.k, b.n, b.k)


def _prop_aggs(flag_col: str) -> Aggregates:
    return lambda t: {"n": _int(t.count()), "k": _int(t[flag_col].sum())}


# -- means ---------------------------------------------------------------------------------------------
def _mean_aggs(col: str) -> Aggregates:
    return lambda t: {"n": _int(t.count()), "s": _fsum(t[col]), "ss": _fsum(t[col] * t[col])}


def _mean_finish(s: pd.DataFrame) -> dict[str, Any]:
    value, lo, hi = stats.mean_interval(s.n, s.s, s.ss)
    return {"value": value, "ci_low": lo, "ci_high": hi}


def _mean_p(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    return stats.p_welch(a.n, a.s, a.ss, b.n, b.s, b.ss)


def _score_rel(col: str) -> Relation:
    def build(src: rel.Sources, q: MetricQuery) -> ir.Table:
        return rel.responses(src, with_enrichment=_needs_enrichment(q), present=col)

    return build


# -- CSAT: top-2-box % with Wilson, plus the mean ------------------------------------------------
def _csat_aggs(t: ir.Table) -> dict[str, ir.Value]:
    return {"n": _int(t.count()), "k": _int(_flag(t.csat >= 4).sum()),
            "s": _fsum(t.csat), "ss": _fsum(t.csat * t.csat)}


def _csat_finish(s: pd.DataFrame) -> dict[str, Any]:
    out = _prop_finish(s)
    mean, mlo, mhi = stats.mean_interval(s.n, s.s, s.ss)
    out.update(mean=mean, mean_ci_low=mlo, mean_ci_high=mhi)
    return out


# -- contact rates ------------------------------------------------------------------------------------
def _contact_rel(flag: Callable[[ir.Table], ir.BooleanValue], outcome_only: bool = True) -> Relation:
    def build(src: rel.Sources, q: MetricQuery) -> ir.Table:
        t = rel.contacts(src, repeat_days=q.repeat_days, outcome_only=outcome_only)
        return t.mutate(flag=_flag(flag(t)))

    return build


def _ivr_rel(src: rel.Sources, q: MetricQuery) -> ir.Table:
    t = rel.ivr_sessions(src)
    return t.mutate(flag=t.lost)


# -- resolution time: median hours with a bootstrap interval -----------------------------------------
def _median_finish(s: pd.DataFrame) -> dict[str, Any]:
    parts = [stats.median_interval(v) for v in s["values"]]
    arr = np.array(parts, dtype=np.float64).reshape(-1, 3)
    return {"value": arr[:, 0], "ci_low": arr[:, 1], "ci_high": arr[:, 2]}


def _median_p(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    return np.array([stats.p_mann_whitney(x, y) for x, y in zip(a["values"], b["values"], strict=True)])


# -- 3E index -----------------------------------------------------------------------------------------
_E3 = ("effectiveness", "ease", "emotion")


def _e3_rel(src: rel.Sources, q: MetricQuery) -> ir.Table:
    t = rel.responses(src, with_enrichment=True)
    oc = t.outcome
    failed = oc.isin([ev.OUTCOME_UNRESOLVED, ev.OUTCOME_ABANDONED, ev.OUTCOME_TRANSFERRED])
    eff = ibis.cases(
        (oc == ev.OUTCOME_RESOLVED, 1.0), (failed, 0.0), (t.csat.notnull(), _flag(t.csat >= 4)),
        else_=ibis.null(),
    ).cast("float64")
    ease = ibis.cases(
        (t.ces.notnull(), (t.ces - 1.0) / 6.0), (oc == ev.OUTCOME_TRANSFERRED, 0.0), (oc.notnull(), 1.0),
        else_=ibis.null(),
    ).cast("float64")
    emotion = ((t.sentiment_score + 1.0) / 2.0).cast("float64")
    t = t.mutate(effectiveness=eff, ease=ease, emotion=emotion)
    return t.filter(t.effectiveness.notnull() | t.ease.notnull() | t.emotion.notnull())


def _e3_aggs(t: ir.Table) -> dict[str, ir.Value]:
    out: dict[str, ir.Value] = {"n": _int(t.count())}
    for c in _E3:
        out[f"{c}_n"] = _int(t[c].count())
        out[f"{c}_s"] = _fsum(t[c].fill_null(0.0))
        out[f"{c}_ss"] = _fsum(t[c].fill_null(0.0) * t[c].fill_null(0.0))
    return out


def _e3_parts(s: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Index = 100 * mean of the available component means; var = sum(var_i / n_i) / k^2."""
    means, variances = [], []
    for c in _E3:
        n = s[f"{c}_n"].to_numpy(np.float64)
        m, lo, hi = stats.mean_interval(n, s[f"{c}_s"], s[f"{c}_ss"])
        half = (hi - lo) / 2.0 / stats.Z95
        means.append(np.where(n > 0, m, np.nan))
        variances.append(np.where(n > 1, half**2, np.where(n > 0, 0.25 / np.maximum(n, 1), np.nan)))
    mm, vv = np.vstack(means), np.vstack(variances)
    k = np.sum(~np.isnan(mm), axis=0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * np.nanmean(mm, axis=0), 1e4 * np.nansum(vv, axis=0) / k**2


def e3_value_variance(s: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The 3E index (points) and its sampling variance per row of 3E sufficient statistics (the effect
    and shrinkage statistics of `cxloop.loop` need the variance itself, not only the interval)."""
    return _e3_parts(s)


def _e3_finish(s: pd.DataFrame) -> dict[str, Any]:
    value, var = _e3_parts(s)
    half = stats.Z95 * np.sqrt(var)
    out: dict[str, Any] = {"value": value, "ci_low": np.clip(value - half, 0, 100),
                           "ci_high": np.clip(value + half, 0, 100)}
    for c in _E3:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[c] = np.where(s[f"{c}_n"] > 0, 100.0 * s[f"{c}_s"] / s[f"{c}_n"], np.nan)
    return out


def _e3_p(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    va, vara = _e3_parts(a)
    vb, varb = _e3_parts(b)
    return stats.p_z(va - vb, vara + varb)


def _needs_enrichment(q: MetricQuery) -> bool:
    used = set(q.by) | {f for f, _ in q.where}
    return bool(used & set(ENRICHMENT_DIMENSIONS))


def _rate(name: str, unit: str, relation: Relation) -> MetricDefinition:
    return MetricDefinition(name, unit, relation, _prop_aggs("flag"), _prop_finish, _prop_p)


def _mean(name: str, unit: str, col: str) -> MetricDefinition:
    return MetricDefinition(name, unit, _score_rel(col), _mean_aggs(col), _mean_finish, _mean_p)


def _definitions() -> dict[str, MetricDefinition]:
    contacts = "contacts with an outcome"
    defs = [
        MetricDefinition("nps", "responses with an NPS score", _nps_rel, _nps_aggs, _nps_finish, _nps_p),
        MetricDefinition("csat", "responses with a CSAT score", _score_rel("csat"), _csat_aggs,
                         _csat_finish, _prop_p),
        _mean("ces", "responses with a CES score", "ces"),
        _mean("rating", "records with a rating", "rating"),
        MetricDefinition("3e", "records with an effectiveness, ease or emotion signal", _e3_rel, _e3_aggs,
                         _e3_finish, _e3_p),
        _rate("fcr", contacts, _contact_rel(lambda t: (t.outcome == ev.OUTCOME_RESOLVED) & (t.repeat == 0))),
        _rate("repeat_contact", "contacts (records with a customer, contact sessions)",
              _contact_rel(lambda t: t.repeat == 1, outcome_only=False)),
        _rate("transfer", contacts, _contact_rel(lambda t: t.outcome == ev.OUTCOME_TRANSFERRED)),
        _rate("abandonment", contacts, _contact_rel(lambda t: t.outcome == ev.OUTCOME_ABANDONED)),
        _rate("ivr_lost", "IVR sessions", _ivr_rel),
        MetricDefinition("resolution_time", "resolved cases (hours)", lambda s, q: rel.cases(s),
                         lambda t: {}, _median_finish, _median_p, raw_values=True),
    ]
    return {d.name: d for d in defs}


METRIC_DEFINITIONS: dict[str, MetricDefinition] = _definitions()
