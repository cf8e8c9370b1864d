"""The journey map: a stage x touchpoint matrix with volume, NPS, CSAT, sentiment and pain points per cell.

A cell's touchpoint is the row's `touchpoint`, else its channel. Volume counts records and events; scores
read records: NPS = % promoters (9-10) - % detractors (0-6) of the rows with an NPS answer (Reichheld
2003), CSAT = mean of the 1-5 answers, sentiment = mean enrichment `sentiment_score` in [-1, 1] and the %
of negative texts. Pain points are the topics most frequent among the cell's negative texts.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cxloop.journeys.config import StageMap
from cxloop.journeys.steps import NONE_LABEL, stage_expr

__all__ = ["cell_keys", "pain_points", "record_scores", "step_volume"]


def cell_keys(t: ir.Table, stage_map: StageMap) -> ir.Table:
    """Add `stage` and `touchpoint_or_channel` (both "(none)" when missing)."""
    return t.mutate(
        cell_stage=stage_expr(t, stage_map).fill_null(NONE_LABEL),
        cell_touchpoint=ibis.coalesce(t.touchpoint, t.channel).cast("string").fill_null(NONE_LABEL),
    )


def step_volume(steps: ir.Table) -> ir.Table:
    """Records and events per cell (steps already carry `cell_stage`, `cell_touchpoint`)."""
    return steps.group_by(stage=steps.cell_stage, touchpoint=steps.cell_touchpoint).aggregate(
        volume=steps.count().cast("int64"),
        events=(steps.step_kind == "event").sum().cast("int64"),
    )


def _with_sentiment(records: ir.Table, enrichments: ir.Table | None) -> ir.Table:
    if enrichments is None:
        return records.mutate(
            sentiment=ibis.null("string"), sentiment_score=ibis.null("float64"), topic_id=ibis.null("string")
        )
    e = enrichments.select(
        e_record_id=enrichments.record_id, sentiment=enrichments.sentiment,
        sentiment_score=enrichments.sentiment_score, topic_id=enrichments.topic_id,
    )
    return records.left_join(e, records.record_id == e.e_record_id).drop("e_record_id")


def record_scores(records: ir.Table, enrichments: ir.Table | None) -> ir.Table:
    """NPS, CSAT and sentiment per cell of `records` (which carry the cell keys)."""
    r = _with_sentiment(records, enrichments)
    answered = r.nps.notnull()
    promoters = (r.nps >= 9).cast("float64").sum(where=answered)
    detractors = (r.nps <= 6).cast("float64").sum(where=answered)
    nps_n = r.nps.count()
    scored = r.group_by(stage=r.cell_stage, touchpoint=r.cell_touchpoint).aggregate(
        records=r.count().cast("int64"),
        nps_n=nps_n.cast("int64"),
        promoters=promoters,
        detractors=detractors,
        csat=r.csat.mean().cast("float64"),
        csat_n=r.csat.count().cast("int64"),
        sentiment=r.sentiment_score.mean().cast("float64"),
        sentiment_n=r.sentiment.count().cast("int64"),
        negative=(r.sentiment == "neg").cast("float64").sum(),
    )
    return scored.mutate(
        nps=ibis.ifelse(scored.nps_n > 0, 100.0 * (scored.promoters - scored.detractors) / scored.nps_n,
                        ibis.null("float64")).round(1),
        negative_pct=ibis.ifelse(scored.sentiment_n > 0, 100.0 * scored.negative / scored.sentiment_n,
                                 ibis.null("float64")).round(1),
        csat=scored.csat.round(2),
        sentiment=scored.sentiment.round(3),
    ).drop("promoters", "detractors", "negative")


def pain_points(records: ir.Table, enrichments: ir.Table, taxonomy: ir.Table, top: int = 3) -> ir.Table:
    """The `top` topics of each cell's negative texts: stage, touchpoint, topic_id, name, count."""
    r = _with_sentiment(records, enrichments)
    neg = r.filter(r.sentiment == "neg", r.topic_id.notnull())
    counted = neg.group_by(stage=neg.cell_stage, touchpoint=neg.cell_touchpoint, topic_id=neg.topic_id).aggregate(
        count=neg.count().cast("int64")
    )
    w = ibis.window(group_by=[counted.stage, counted.touchpoint],
                    order_by=[ibis.desc(counted["count"]), counted.topic_id])
    ranked = counted.mutate(rank=ibis.row_number().over(w))
    ranked = ranked.filter(ranked.rank < top)
    names = taxonomy.select(t_topic=taxonomy.topic_id, name_en=taxonomy.name_en, name_zh=taxonomy.name_zh)
    joined = ranked.left_join(names, ranked.topic_id == names.t_topic).drop("t_topic")
    return joined.order_by(["stage", "touchpoint", "rank"])
