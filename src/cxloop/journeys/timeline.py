"""A customer's timeline: every record and event of the customer across channels, in time order.

Items are ordered by time, ties in source order (batch start, batch, seq); records carry their text and,
when enriched, the primary topic and sentiment label.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cxloop.journeys.config import StageMap
from cxloop.journeys.steps import stage_expr

__all__ = ["TIMELINE_ITEM_KEYS", "timeline_items"]

TIMELINE_ITEM_KEYS = ("at", "channel", "kind", "event_type", "stage", "text", "topic", "sentiment")


def _items(t: ir.Table, stage_map: StageMap, text: ir.Value, topic: ir.Value, sentiment: ir.Value) -> ir.Table:
    # explicit (nullable) types: the two sides of the union may differ in nullability between workspaces
    return t.select(
        at=t.occurred_at.cast("timestamp(6)"),
        channel=t.channel.cast("string"),
        kind=t.kind.cast("string"),
        event_type=t.event_type.cast("string"),
        stage=stage_expr(t, stage_map).cast("string"),
        text=text.cast("string"),
        topic=topic.cast("string"),
        sentiment=sentiment.cast("string"),
        customer_id=t.customer_id.cast("string"),
        batch_id=t.batch_id.cast("string"),
        seq=t.seq.cast("int64"),
    )


def timeline_items(
    records: ir.Table,
    events: ir.Table,
    enrichments: ir.Table | None,
    batches: ir.Table,
    customer_ids: list[str],
    stage_map: StageMap,
) -> ir.Table:
    """Items of the given customers (`customer_id` kept so callers can split them), in time order."""
    r = records.filter(records.customer_id.isin(customer_ids))
    if enrichments is not None:
        e = enrichments.select(e_record_id=enrichments.record_id, e_topic=enrichments.topic_id,
                               e_sentiment=enrichments.sentiment)
        r = r.left_join(e, r.record_id == e.e_record_id)
        rec = _items(r, stage_map, r.text, r.e_topic, r.e_sentiment)
    else:
        none = ibis.null("string")
        rec = _items(r, stage_map, r.text, none, none)
    ev = events.filter(events.customer_id.isin(customer_ids))
    none = ibis.null("string")
    items = rec.union(_items(ev, stage_map, none, none, none))
    b = batches.select(b_id=batches.batch_id, batch_at=batches.started_at)
    items = items.left_join(b, items.batch_id == b.b_id).drop("b_id")
    return items.order_by([items.at, items.batch_at, items.batch_id, items.seq])
