"""From a `MetricQuery` to Ibis expressions (pure), and from their results to output rows (pure).

The app runs the expressions on an engine: first `anchor_expr` (the latest `occurred_at` of the selection,
when the window needs it), then `stats_expr` for the window (and the previous window with
`--compare previous`), then `finish_rows` turns sufficient statistics into the documented rows.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxloop.metrics.definitions import METRIC_DEFINITIONS, MetricDefinition
from cxloop.metrics.query import MetricQuery
from cxloop.metrics.relations import Sources
from cxloop.metrics.timeframe import Window, period_key, period_of_day, shift_period

__all__ = [
    "anchor_expr",
    "compare_rows",
    "definition",
    "finish_rows",
    "selection",
    "stats_expr",
]


def definition(query: MetricQuery) -> MetricDefinition:
    return METRIC_DEFINITIONS[query.metric]


def selection(src: Sources, query: MetricQuery) -> ir.Table:
    """The metric's unit relation with the `--where` filters applied (values of a field are OR-ed)."""
    t = definition(query).relation(src, query)
    preds = [t[field].isin(list(values)) for field, values in query.where]
    return t.filter(*preds) if preds else t


def anchor_expr(sel: ir.Table) -> ir.Scalar:
    return sel.occurred_at.max()


def _in_window(t: ir.Table, window: Window) -> ir.Table:
    preds = []
    if window.start is not None:
        preds.append(t.occurred_at >= window.start)
    if window.end is not None:
        preds.append(t.occurred_at < window.end)
    return t.filter(*preds) if preds else t


def stats_expr(sel: ir.Table, query: MetricQuery, window: Window, tz: str) -> ir.Table:
    """Sufficient statistics per group (or the unit values, for medians) within `window`.

    With a grain coarser than a day, the statistics (counts and sums) are aggregated per local day first
    and rolled up to the grain from those rows: truncating millions of timestamps to months costs more
    than the scan itself, a cast to a date does not."""
    t = _in_window(sel, window)
    keys = list(query.by)
    defn = definition(query)
    grain = query.grain
    if defn.raw_values or grain in (None, "day"):
        if grain:
            t = t.mutate(**{grain: period_key(t.occurred_at, grain, tz)})
        if defn.raw_values:
            return t.select(*keys, "value")
        aggs = defn.aggregates(t)
        return t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)
    assert grain is not None
    day_keys = [k if k != grain else "_day" for k in keys]
    td = t.mutate(_day=period_key(t.occurred_at, "day", tz))
    daily = td.group_by(day_keys).aggregate(**defn.aggregates(td))
    stats = [c for c in daily.columns if c not in day_keys]
    rolled = daily.mutate(**{grain: period_of_day(daily._day, grain)})
    return rolled.group_by(keys).aggregate(
        **{c: rolled[c].sum().cast(rolled[c].type()) for c in stats}
    )


def _clean(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def collect_raw(values: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Unit values -> one row per group holding `n` and the array of values (for medians)."""
    values = values.dropna(subset=["value"])
    if not keys:
        arr = values["value"].to_numpy(np.float64)
        return pd.DataFrame({"n": [arr.size], "values": [arr]})
    groups = values.groupby(keys, dropna=False, sort=True)["value"]
    out = groups.agg(lambda s: s.to_numpy(np.float64)).rename("values").reset_index()
    out["n"] = out["values"].map(len)
    return out


def finish_rows(defn: MetricDefinition, s: pd.DataFrame, keys: list[str], min_n: int) -> pd.DataFrame:
    """Add value, ci_low, ci_high, low_n (and extras) to a frame of group keys + sufficient statistics."""
    if len(s) == 0:
        return s.assign(value=[], ci_low=[], ci_high=[], low_n=[])
    s = s.reset_index(drop=True)
    s = s[s["n"] > 0].reset_index(drop=True) if keys else s
    out = defn.finish(s)
    frame = s.copy()
    for name, values in out.items():
        frame[name] = np.asarray(values, dtype=np.float64)
    frame["low_n"] = frame["n"] < min_n
    return frame.sort_values(keys).reset_index(drop=True) if keys else frame


def compare_rows(
    defn: MetricDefinition, cur: pd.DataFrame, prev: pd.DataFrame, keys: list[str], grain: str | None
) -> pd.DataFrame:
    """prev_value, delta, p_value, significant: against the same group in the previous window, or with a
    grain, against the same group's previous period."""
    prev = prev.copy()
    if grain:
        prev[grain] = prev[grain].map(lambda d: _next_period(d, grain))
    merged = cur.merge(prev, on=keys, how="left", suffixes=("", "_prev")) if keys else _cross(cur, prev)
    other = merged[[c for c in merged.columns if c.endswith("_prev")]].rename(columns=lambda c: c[:-5])
    has = merged["n_prev"].notna().to_numpy() if "n_prev" in merged else np.zeros(len(merged), bool)
    p = np.full(len(merged), np.nan)
    if has.any():
        p[has] = defn.p_value(merged[has].reset_index(drop=True), other[has].reset_index(drop=True))
    cur = cur.copy()
    cur["prev_value"] = merged.get("value_prev", pd.Series(np.nan, index=merged.index)).to_numpy()
    cur["delta"] = cur["value"] - cur["prev_value"]
    cur["p_value"] = p
    cur["significant"] = np.where(np.isnan(p), False, p < 0.05)
    return cur


def _cross(cur: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    prev = prev.add_suffix("_prev")
    if len(prev) == 0:
        prev = pd.DataFrame({c: [np.nan] for c in prev.columns})
    return cur.reset_index(drop=True).join(prev.iloc[[0] * len(cur)].reset_index(drop=True))


def _next_period(d: Any, grain: str) -> Any:
    """The period following `d`, so that a previous period lines up with the row it precedes."""
    if isinstance(d, pd.Timestamp):
        return pd.Timestamp(shift_period(d.date(), grain, 1))
    return shift_period(d, grain, 1)


def to_records(frame: pd.DataFrame, keys: list[str], defn: MetricDefinition) -> list[dict[str, Any]]:
    """Rows as plain dicts: dimensions first, then value, n, ci_low, ci_high, low_n, then extras."""
    stat_cols = {"promoters", "detractors", "k", "s", "ss", "values"} | {
        c for c in frame.columns if c.endswith(("_n", "_s", "_ss")) and c != "low_n"
    }
    head = [*keys, "value", "n", "ci_low", "ci_high", "low_n"]
    rest = [c for c in frame.columns if c not in head and c not in stat_cols]
    rows = []
    for rec in frame[head + rest].to_dict("records"):
        row = {k: _clean(v) for k, v in rec.items()}
        row["n"] = int(row["n"] or 0)
        row["low_n"] = bool(row["low_n"])
        if "significant" in row:
            row["significant"] = bool(row["significant"])
        rows.append(row)
    return rows
