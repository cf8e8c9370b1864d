"""Pain-point ranking per topic x product, and drill-down to verbatims.

Per topic x product in the window (records with a topic from the enrichments):
    volume          records                       customers       distinct customers
    negative_share  share of the records with sentiment `neg`
    first_seen      first record within `first_seen_days` (default 90) before the window end
    trend           (volume - prev) / max(prev, 1), prev = the equal-length window before
    trend_p         two-sided exact test of volume vs prev (conditional binomial: under equal Poisson
                    rates, volume ~ Binomial(volume + prev, 1/2))
    respondents, detractors   NPS answers (0-6 = detractor) of the group's records
    driver_impact   NPS points the selection would gain if this group's detractors became passives:
                    100 * detractors / all NPS respondents of the selection in the window
    nps_at_stake    100 * excess / R: the NPS points the group costs beyond the baseline, where
                    excess = detractors - respondents * d0, d0 = D / R is the detractor share of ALL
                    the selection's respondents in the window (R answers, D detractors, with or
                    without a topic); nps_at_stake_low uses the Wilson 95% lower bound of the group's
                    detractor share instead of the share itself (0 when not above d0)
    score           nps_at_stake_low * (1 + g), g = min(max(trend, 0), 3) when trend_p < 0.05, else 0
Ties (notably groups no NPS respondent mentions, score 0) are ordered by `voice` = customers *
negative_share (the customers who said something negative about it), then volume, topic, product.
Groups with volume below min_n are flagged low_n and ranked after the others.

Why NPS harm first: survey respondents are a sample of the customer base, while review and complaint
volumes follow channel traffic (reviews dwarf surveys), so the detractors a pain point adds among
respondents estimate its reach in the base without the channel bias; the lower bound keeps a group
with 4 of 4 detractors from outranking one with 56 of 73 on luck (the "sort by the lower bound"
rule). The company baseline, not the product's: a large pain point drags its own product's baseline
down and would mask itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats as sps

from cxloop.metrics.query import ENRICHMENT_DIMENSIONS, RECORD_DIMENSIONS
from cxloop.metrics.relations import Sources
from cxloop.metrics.stats import wilson_interval
from cxloop.metrics.timeframe import Window

__all__ = [
    "TOPIC_COLUMNS",
    "Baseline",
    "baseline_expr",
    "painpoint_expr",
    "painpoint_rows",
    "painpoint_span",
    "roll_up_topics",
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


def roll_up_topics(t: ir.Table, taxonomy: ir.Table, topics: tuple[str, ...] | None = None) -> ir.Table:
    """`t` with each `topic_id` replaced by its parent in the taxonomy (top-level topics stay), so sibling
    topics that split one pain rank as their family; `topics` then keeps the given parents only."""
    tax = taxonomy.select(x_topic=taxonomy.topic_id, x_parent=taxonomy.parent_id)
    j = t.left_join(tax, t.topic_id == tax.x_topic)
    j = j.mutate(topic_id=j.x_parent.fill_null(j.topic_id)).drop("x_topic", "x_parent")
    return j.filter(j.topic_id.isin(list(topics))) if topics else j


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


@dataclass(frozen=True)
class Baseline:
    """NPS answers of the whole selection in the window (with or without a topic)."""

    respondents: int
    detractors: int

    @property
    def detractor_share(self) -> float:
        return self.detractors / self.respondents if self.respondents else 0.0


def baseline_expr(src: Sources, where: dict[str, tuple[str, ...]], window: Window) -> ir.Table:
    """One row: `respondents`, `detractors` of the records in the window matching the record filters
    (the topic and other enrichment filters pick groups, not the baseline they are compared with)."""
    r = _filtered(src.records, {f: v for f, v in where.items() if f in RECORD_DIMENSIONS})
    r = _window(r, window)
    nps = r.nps.cast("int64")
    return r.aggregate(respondents=_int_sum(nps.notnull()), detractors=_int_sum(nps <= 6))


def score_painpoints(frame: pd.DataFrame, base: Baseline, min_n: int) -> pd.DataFrame:
    """Add negative_share, trend, trend_p, detractor_share, driver_impact, nps_at_stake(_low), voice,
    score, low_n; sort by the ranking (see the module docstring)."""
    f = frame.copy()
    vol = f["volume"].to_numpy(np.float64)
    has_prev = f["prev_volume"].notna().to_numpy()
    prev = f["prev_volume"].fillna(0).to_numpy(np.float64)
    f["negative_share"] = np.where(vol > 0, f["negatives"].to_numpy(np.float64) / np.maximum(vol, 1), 0.0)
    # without a previous window (the whole data) there is no trend to test
    trend = np.where(has_prev, (vol - prev) / np.maximum(prev, 1.0), np.nan)
    trend_p = np.where(has_prev, _trend_p(vol, prev), np.nan)
    f["trend"] = trend
    f["trend_p"] = trend_p
    n = f["respondents"].to_numpy(np.float64)
    det = f["detractors"].to_numpy(np.float64)
    share, low, _ = wilson_interval(n, det)
    f["detractor_share"] = share / 100.0
    total = float(base.respondents)
    d0 = base.detractor_share
    f["baseline_detractor_share"] = d0
    scale = 100.0 / total if total else 0.0
    f["driver_impact"] = scale * det
    f["nps_at_stake"] = scale * (det - n * d0)
    f["nps_at_stake_low"] = scale * np.maximum(np.nan_to_num(n * (low / 100.0 - d0)), 0.0)
    growth = np.where(np.nan_to_num(trend_p, nan=1.0) < 0.05, np.clip(np.nan_to_num(trend), 0.0, 3.0), 0.0)
    f["voice"] = f["customers"].to_numpy(np.float64) * f["negative_share"]
    f["score"] = f["nps_at_stake_low"] * (1.0 + growth)
    f["low_n"] = vol < min_n
    order = ["low_n", "score", "voice", "volume", "topic_id", "product"]  # ties by name: same on every engine
    return f.sort_values(order, ascending=[True, False, False, False, True, True]).reset_index(drop=True)


def _text(value: Any) -> str | None:
    """A taxonomy text, None where the topic has none (pandas gives NaN)."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def painpoint_rows(f: pd.DataFrame, limit: int) -> list[dict[str, Any]]:
    rows = []
    for rec in f.head(limit).to_dict("records"):
        rows.append(
            {
                "topic": rec["topic_id"],
                "topic_name": _text(rec.get("name_en")),
                "product": rec["product"],
                "volume": int(rec["volume"]),
                "customers": int(rec["customers"]),
                "negative_share": float(rec["negative_share"]),
                "trend": None if pd.isna(rec["trend"]) else float(rec["trend"]),
                "trend_p": None if pd.isna(rec["trend_p"]) else float(rec["trend_p"]),
                "driver_impact": float(rec["driver_impact"]),
                "respondents": int(rec["respondents"]),
                "detractors": int(rec["detractors"]),
                "detractor_share": None if pd.isna(rec["detractor_share"]) else float(rec["detractor_share"]),
                "baseline_detractor_share": float(rec["baseline_detractor_share"]),
                "nps_at_stake": float(rec["nps_at_stake"]),
                "nps_at_stake_low": float(rec["nps_at_stake_low"]),
                "voice": float(rec["voice"]),
                "owner_department": _text(rec.get("owner_department")),
                "first_seen": None if pd.isna(rec["first_seen"]) else pd.Timestamp(rec["first_seen"]).isoformat(),
                "score": float(rec["score"]),
                "prev_volume": None if pd.isna(rec["prev_volume"]) else int(rec["prev_volume"]),
                "low_n": bool(rec["low_n"]),
            }
        )
    return rows


def verbatims_expr(
    src: Sources, window: Window, topic: str | tuple[str, ...] | None, product: str | None, limit: int,
    *, detractors: bool = False,
) -> ir.Table:
    """The most negative recent texts of a topic or topics (and product): redacted text where enriched.
    With `detractors`, only the texts of NPS answers 0-6 — the ones the score counts."""
    r, e = src.records, src.enrichments
    j = r.inner_join(e, r.record_id == e.record_id)
    j = j.select(
        record_id=r.record_id, occurred_at=r.occurred_at, channel=r.channel, product=r.product,
        topic_id=e.topic_id, sentiment=e.sentiment, sentiment_score=e.sentiment_score.cast("float64"),
        nps=r.nps.cast("int64"), text=e.text_redacted.fill_null(r.text),
    )
    preds = [j.text.notnull()]
    if topic is not None:
        preds.append(j.topic_id.isin([topic] if isinstance(topic, str) else list(topic)))
    if product is not None:
        preds.append(j.product == product)
    if detractors:
        preds.append(j.nps <= 6)
    j = _window(j.filter(*preds), window)
    return j.order_by([j.sentiment_score.asc(), j.occurred_at.desc(), j.record_id]).limit(limit)
