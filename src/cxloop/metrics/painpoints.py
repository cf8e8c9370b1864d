"""Pain-point ranking per topic x product, and drill-down to verbatims.

Per topic x product in the window (records with a topic from the enrichments):
    volume          records                       customers       distinct customers
    first_seen      first record within `first_seen_days` (default 90) before the window end
    trend           (volume - prev) / max(prev, 1), prev = the equal-length window before
    trend_p         two-sided exact test of volume vs prev (conditional binomial: under equal Poisson
                    rates, volume ~ Binomial(volume + prev, 1/2))
    driver_impact   NPS points the whole selection would gain if this group's detractors became
                    passives: detractors / NPS respondents (records with a topic) in the window * 100
    score           customers * negative_share * (1 + g), g = min(max(trend, 0), 3) when trend_p < 0.05,
                    else 0: the customers hurt, weighted up by significant growth. Driver impact is
                    shown beside it but not added (detractors largely are the negative customers).
Groups with volume below min_n are flagged low_n and ranked after the others.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats as sps

from cxloop.metrics.query import ENRICHMENT_DIMENSIONS, RECORD_DIMENSIONS
from cxloop.metrics.relations import Sources
from cxloop.metrics.timeframe import Window

__all__ = [
    "TOPIC_COLUMNS",
    "painpoint_expr",
    "painpoint_rows",
    "painpoint_span",
    "score_painpoints",
    "topic_relation",
    "verbatims_expr",
]

# the columns of `topic_relation`, in order (also those of the DuckDB copy `metrics_topic_facts`)
TOPIC_COLUMNS = ("occurred_at", "customer_id", "nps", *RECORD_DIMENSIONS, *ENRICHMENT_DIMENSIONS)


def topic_relation(src: Sources, where: dict[str, tuple[str, ...]], span: Window | None = None) -> ir.Table:
    """Records with a topic: only the columns pain points and emerging issues read, `product` null as
    '(none)'. `where` filters (values OR-ed) and the optional `span` apply to each side BEFORE the join.

    From `src.topic_facts` when the engine has a current copy of this very relation (a scan of the
    span's rows); otherwise an inner join of the enrichments with a topic to the span's records. (The
    windowed records are the smaller side, but DuckDB estimates both filtered sides alike and may still
    build its hash table on the enrichments: the join reads both tables' keys in full either way, which
    is why the time-ordered copy exists.)"""
    if src.topic_facts is not None:
        return _filtered(_window(src.topic_facts, span) if span else src.topic_facts, where)
    r, e = src.records, src.enrichments
    r = _window(r, span) if span else r
    left = _filtered(
        e.filter(e.topic_id.notnull()).select(
            e_record_id=e.record_id, topic_id=e.topic_id, sentiment=e.sentiment, emotion=e.emotion,
        ),
        {f: v for f, v in where.items() if f in ENRICHMENT_DIMENSIONS},
    )
    right = _filtered(
        r.select(
            occurred_at=r.occurred_at, record_id=r.record_id, customer_id=r.customer_id,
            nps=r.nps.cast("int64"), **{d: r[d] for d in RECORD_DIMENSIONS if d != "product"},
            product=r.product.fill_null("(none)"),
        ),
        {f: v for f, v in where.items() if f in RECORD_DIMENSIONS},
    )
    t = left.inner_join(right, left.e_record_id == right.record_id)
    return t.select(*TOPIC_COLUMNS)


def _filtered(t: ir.Table, where: dict[str, tuple[str, ...]]) -> ir.Table:
    preds = [t[f].isin(list(v)) for f, v in where.items()]
    return t.filter(*preds) if preds else t


def _window(t: ir.Table, w: Window) -> ir.Table:
    preds = [t.occurred_at >= w.start] if w.start is not None else []
    if w.end is not None:
        preds.append(t.occurred_at < w.end)
    return t.filter(*preds) if preds else t


def _int_sum(cond: ir.BooleanValue) -> ir.Value:
    return ibis.cases((cond, 1), else_=0).cast("int64").sum()


def painpoint_span(window: Window, first_seen_days: int = 90) -> Window:
    """The records a pain-point ranking reads: the window, the equal-length window before it (trend) and
    `first_seen_days` before the window's end (first_seen)."""
    if window.start is None:
        return Window(None, window.end)
    starts = [window.previous().start]
    if window.end is not None:
        starts.append(window.end - timedelta(days=first_seen_days))
    return Window(min(s for s in starts if s is not None), window.end)


def painpoint_expr(src: Sources, t: ir.Table, window: Window, first_seen_days: int = 90) -> ir.Table:
    """One row per topic x product, from ONE pass over the records of the lookback span: volume,
    customers, negatives, detractors, respondents (window), prev_volume (the window before), first_seen
    (first record within `first_seen_days` before the window's end), taxonomy names and owner.

    Distinct customers count `CASE WHEN in window THEN customer_id END` (nulls are not counted): a
    FILTERed distinct made DuckDB hash every (group, customer, in-window) triple of the span; two
    aggregates joined made Spark run the records/enrichments join twice."""
    span = _window(t, painpoint_span(window, first_seen_days))
    # without a start every row is in the window (a column expression: a literal True would make the
    # conditional sums scalars)
    in_cur = span.occurred_at >= window.start if window.start is not None else span.occurred_at.notnull()
    if window.start is not None:
        in_prev = (span.occurred_at >= window.previous().start) & (span.occurred_at < window.start)
        prev_volume: ir.Value = _int_sum(in_prev)
    else:
        prev_volume = ibis.null().cast("int64")
    g = span.group_by(["topic_id", "product"]).aggregate(
        volume=_int_sum(in_cur),
        customers=ibis.cases((in_cur, span.customer_id), else_=ibis.null().cast("string")).nunique().cast("int64"),
        negatives=_int_sum(in_cur & (span.sentiment == "neg")),
        detractors=_int_sum(in_cur & (span.nps <= 6)),
        respondents=_int_sum(in_cur & span.nps.notnull()),
        prev_volume=prev_volume,
        first_seen=span.occurred_at.min(),
    )
    g = g.filter(g.volume > 0)
    tax = src.taxonomy.select(
        x_topic=src.taxonomy.topic_id, name_en=src.taxonomy.name_en, name_zh=src.taxonomy.name_zh,
        owner_department=src.taxonomy.owner_department,
    )
    return g.left_join(tax, g.topic_id == tax.x_topic).drop("x_topic")


def _trend_p(volume: np.ndarray, prev: np.ndarray) -> np.ndarray:
    total = volume + prev
    lower = sps.binom.cdf(volume, total, 0.5)
    upper = sps.binom.sf(volume - 1, total, 0.5)
    return np.where(total > 0, np.minimum(1.0, 2.0 * np.minimum(lower, upper)), 1.0)


def score_painpoints(frame: pd.DataFrame, respondents: int, min_n: int) -> pd.DataFrame:
    """Add negative_share, trend, trend_p, driver_impact, score, low_n; sort by the ranking."""
    f = frame.copy()
    vol = f["volume"].to_numpy(np.float64)
    has_prev = f["prev_volume"].notna().to_numpy()
    prev = f["prev_volume"].fillna(0).to_numpy(np.float64)
    f["negative_share"] = np.where(vol > 0, f["negatives"].to_numpy(np.float64) / np.maximum(vol, 1), 0.0)
    trend = np.where(has_prev | (vol > 0), (vol - prev) / np.maximum(prev, 1.0), np.nan)
    trend_p = _trend_p(vol, prev)
    f["trend"] = trend
    f["trend_p"] = trend_p
    f["driver_impact"] = (
        100.0 * f["detractors"].to_numpy(np.float64) / respondents if respondents else np.zeros(len(f))
    )
    growth = np.where(trend_p < 0.05, np.clip(np.nan_to_num(trend), 0.0, 3.0), 0.0)
    f["score"] = f["customers"].to_numpy(np.float64) * f["negative_share"] * (1.0 + growth)
    f["low_n"] = vol < min_n
    order = ["low_n", "score", "volume", "topic_id", "product"]  # ties broken by name: the same on every engine
    return f.sort_values(order, ascending=[True, False, False, True, True]).reset_index(drop=True)


def painpoint_rows(f: pd.DataFrame, limit: int) -> list[dict[str, Any]]:
    rows = []
    for rec in f.head(limit).to_dict("records"):
        rows.append(
            {
                "topic": rec["topic_id"],
                "topic_name": rec.get("name_en"),
                "product": rec["product"],
                "volume": int(rec["volume"]),
                "customers": int(rec["customers"]),
                "negative_share": float(rec["negative_share"]),
                "trend": None if pd.isna(rec["trend"]) else float(rec["trend"]),
                "trend_p": float(rec["trend_p"]),
                "driver_impact": float(rec["driver_impact"]),
                "owner_department": rec.get("owner_department"),
                "first_seen": None if pd.isna(rec["first_seen"]) else pd.Timestamp(rec["first_seen"]).isoformat(),
                "score": float(rec["score"]),
                "prev_volume": None if pd.isna(rec["prev_volume"]) else int(rec["prev_volume"]),
                "low_n": bool(rec["low_n"]),
            }
        )
    return rows


def verbatims_expr(
    src: Sources, window: Window, topic: str | None, product: str | None, limit: int
) -> ir.Table:
    """The most negative recent texts of a topic (and product): redacted text where enriched."""
    r, e = src.records, src.enrichments
    j = r.inner_join(e, r.record_id == e.record_id)
    j = j.select(
        record_id=r.record_id, occurred_at=r.occurred_at, channel=r.channel, product=r.product,
        topic_id=e.topic_id, sentiment=e.sentiment, sentiment_score=e.sentiment_score.cast("float64"),
        text=e.text_redacted.fill_null(r.text),
    )
    preds = [j.text.notnull()]
    if topic is not None:
        preds.append(j.topic_id == topic)
    if product is not None:
        preds.append(j.product == product)
    j = _window(j.filter(*preds), window)
    return j.order_by([j.sentiment_score.asc(), j.occurred_at.desc(), j.record_id]).limit(limit)
