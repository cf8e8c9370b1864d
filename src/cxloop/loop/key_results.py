"""Key results as metric queries: the unit relation of a key result and its statistics per phase or month.

A key result is a metric of the metrics layer (with its `--where` filters) or `mention_share`: the share of
the filtered records that carry topic T — T, or a child of T, among the topics the text pipeline found in
the record (`enrichments.topics`, every topic a rule or the classifier matched, not only the primary one).
Records without text or without enrichment count in the denominator: the share is of *responses*, as a
survey analyst reads "45% of the answers mention installation waiting".

These are pure Ibis builders (the app runs them): `kr_relation` gives one row per unit with
`occurred_at` and the columns the metric's aggregates read; `daily_stats_expr` aggregates the treated and
comparison units into sufficient statistics per local day, from which every window is summed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from cxloop.errors import UsageError
from cxloop.loop.effects import EFFECT_METRICS, MENTION_SHARE
from cxloop.metrics.builder import selection
from cxloop.metrics.definitions import METRIC_DEFINITIONS
from cxloop.metrics.query import DIMENSIONS, RECORD_DIMENSIONS, MetricQuery
from cxloop.metrics.relations import Sources
from cxloop.metrics.timeframe import period_key

__all__ = [
    "KeyResultQuery",
    "aggregates_for",
    "arms_relation",
    "comparison_for",
    "daily_stats_expr",
    "kr_relation",
    "validate_kr",
]

Filters = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class KeyResultQuery:
    """What a key result measures: metric, topic (mention_share), filters (field -> values, OR-ed), and
    `exclude` (field -> values that must not match: the "other products" comparison group)."""

    metric: str
    topic: str | None
    filters: Filters
    exclude: Filters | None = None


def validate_kr(metric: str, topic: str | None, filters: Filters) -> None:
    """Raise a `UsageError` naming what is valid when the key result cannot be measured."""
    if metric not in EFFECT_METRICS:
        raise UsageError(f"--metric {metric!r}: use one of {', '.join(EFFECT_METRICS)}", field="metric")
    if metric == MENTION_SHARE and not topic:
        raise UsageError("--metric mention_share needs --topic (the topic whose share of mentions is measured)",
                         field="topic")
    bad = [f for f in filters if f not in DIMENSIONS]
    if bad:
        raise UsageError(f"--where {bad[0]!r} is not a dimension; use one of: {', '.join(DIMENSIONS)}",
                         field="where")


def _mention(topics_json: ir.StringValue, topic: str) -> ir.BooleanValue:
    """T or a child of T (T.x) among the record's topics (the JSON list the text pipeline wrote)."""
    pattern = '"topic_id":\\s*"' + re.escape(topic) + '(\\.[^"]*)?"'
    return topics_json.fill_null("").re_search(pattern)


def _mention_relation(src: Sources, q: KeyResultQuery) -> ir.Table:
    r = src.records
    cols = {"occurred_at": r.occurred_at, "record_id": r.record_id, "nps": r.nps.cast("int64")}
    cols.update({d: r[d] for d in RECORD_DIMENSIONS})
    base = r.select(**cols)
    e = src.enrichments
    enr = e.select(e_record_id=e.record_id, topic_id=e.topic_id, sentiment=e.sentiment, emotion=e.emotion,
                   topics_json=e.topics.cast("string"))
    t = base.left_join(enr, base.record_id == enr.e_record_id).drop("e_record_id")
    assert q.topic is not None
    return t.mutate(flag=ibis.cases((_mention(t.topics_json, q.topic), 1), else_=0).cast("int64"))


def kr_relation(src: Sources, q: KeyResultQuery) -> ir.Table:
    """One row per unit of the key result's metric, filtered."""
    if q.metric == MENTION_SHARE:
        t = _mention_relation(src, q)
    else:
        t = selection(src, MetricQuery.model_validate({"metric": q.metric}))
    preds = [t[f].isin(list(v)) for f, v in q.filters.items()]
    for f, values in (q.exclude or {}).items():
        preds.append(t[f].notnull() & ~t[f].isin(list(values)))
    return t.filter(*preds) if preds else t


def aggregates_for(metric: str) -> Callable[[ir.Table], dict[str, ir.Value]]:
    """The sufficient statistics of the metric. mention_share: n and k (like a rate), plus the NPS counts
    of the rows that carry a score (what the mention share is worth in NPS points)."""
    if metric == MENTION_SHARE:
        def mention(t: ir.Table) -> dict[str, ir.Value]:
            one = lambda c: ibis.cases((c, 1), else_=0).cast("int64").sum().cast("int64")  # noqa: E731
            return {"n": t.count().cast("int64"), "k": t.flag.sum().cast("int64"),
                    "nps_n": t.nps.count().cast("int64"), "promoters": one(t.nps >= 9),
                    "detractors": one(t.nps <= 6)}
        return mention
    return METRIC_DEFINITIONS[metric].aggregates


def arms_relation(src: Sources, treated: KeyResultQuery, comparison: KeyResultQuery | None) -> ir.Table:
    """The treated units (arm "T") and, when given, the comparison units (arm "C") in one relation."""
    t = kr_relation(src, treated).mutate(arm=ibis.literal("T"))
    if comparison is None:
        return t
    c = kr_relation(src, comparison).mutate(arm=ibis.literal("C"))
    return t.union(c)


def daily_stats_expr(t: ir.Table, metric: str, tz: str) -> ir.Table:
    """Sufficient statistics per local day and arm (and per mention flag for mention_share). Every
    summary a key result needs (baseline, months, before/after around a local date) is a sum of days."""
    w = t.mutate(day=period_key(t.occurred_at, "day", tz))
    keys = ["day", "arm"] + (["flag"] if metric == MENTION_SHARE else [])
    return w.group_by(keys).aggregate(**aggregates_for(metric)(w))


def comparison_for(q: KeyResultQuery, stated: Filters | None, treated: tuple[str, ...] = ()
                   ) -> tuple[KeyResultQuery | None, dict[str, object] | None]:
    """The comparison group of a difference-in-differences and its description: the stated one (the key
    result's filters with the stated fields replaced), else — when the key result is filtered by product —
    the same filters on every other product except `treated` ones (products changed by other initiatives:
    a control must not have had a change of its own); else none."""
    if stated:
        filters = {**q.filters, **stated}
        return (KeyResultQuery(q.metric, q.topic, filters),
                {"label": "stated comparison group", "where": {k: list(v) for k, v in filters.items()}})
    if "product" in q.filters:
        filters = {k: v for k, v in q.filters.items() if k != "product"}
        excluded = tuple(dict.fromkeys([*q.filters["product"], *treated]))
        return (KeyResultQuery(q.metric, q.topic, filters, {"product": excluded}),
                {"label": "other products", "where": {k: list(v) for k, v in filters.items()},
                 "exclude": {"product": list(excluded)},
                 "treated_elsewhere": [t for t in treated if t not in q.filters["product"]]})
    return None, None
