"""Flows: the directly-follows graph, trace variants and channel switching over journey steps.

Directly-follows graph (van der Aalst, *Process Mining: Data Science in Action*, 2nd ed., 2016, §6.2):
within one sequence (a session, a customer or a service episode), ordered by time with ties in source
order, every pair of consecutive steps (a, b) adds one to the edge a -> b; the edge also carries the
median of the seconds between a and b. It is a window `lead` over (partition by sequence, order by time,
batch, seq) followed by a group-by: no ordered aggregation, so the same expression runs on Spark.

Variants: the ordered path of labels of each sequence, counted. The path is built portably: a window
`row_number` gives each step its position, the sequence collects (position, label) structs unordered and
sorts the array (structs sort by their first field), then maps it to labels — the "collect, sort, map"
form, because ordered aggregations (`collect(order_by=...)`) do not compile for Spark.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cxloop.journeys.steps import NONE_LABEL, order_keys

__all__ = ["channel_switching", "directly_follows", "label_steps", "variants"]


def label_steps(steps: ir.Table, label: ir.Value, sequence: ir.Value) -> ir.Table:
    """Keep the steps that belong to a sequence, with `label` (missing -> "(none)") and `seq_key`."""
    labelled = steps.mutate(label=label.cast("string").fill_null(NONE_LABEL), seq_key=sequence.cast("string"))
    return labelled.filter(labelled.seq_key.notnull())


def directly_follows(labelled: ir.Table) -> ir.Table:
    """Edges (from, to, count, median_seconds) of the directly-follows graph of `label_steps` output."""
    w = ibis.window(group_by=labelled.seq_key, order_by=order_keys(labelled))
    pairs = labelled.select(
        **{"from": labelled.label},
        to=labelled.label.lead().over(w),
        at=labelled.occurred_at,
        next_at=labelled.occurred_at.lead().over(w),
    )
    pairs = pairs.filter(pairs.next_at.notnull())
    seconds = pairs.next_at.delta(pairs.at, unit="millisecond").cast("float64") / 1000.0
    edges = pairs.group_by(["from", "to"]).aggregate(
        count=pairs.count().cast("int64"), median_seconds=seconds.median().cast("float64")
    )
    return edges.order_by([ibis.desc("count"), "from", "to"])


def variant_paths(labelled: ir.Table) -> ir.Table:
    """One row per sequence: `seq_key`, `path` (the ordered list of labels)."""
    w = ibis.window(group_by=labelled.seq_key, order_by=order_keys(labelled))
    ranked = labelled.select(labelled.seq_key, pos=ibis.row_number().over(w), label=labelled.label)
    collected = ranked.group_by(ranked.seq_key).aggregate(
        steps=ibis.struct({"pos": ranked.pos, "label": ranked.label}).collect()
    )
    return collected.select(collected.seq_key, path=collected.steps.sort().map(lambda s: s.label))


def variants(labelled: ir.Table) -> ir.Table:
    """Variants (path, count), most frequent first, ties by path (lexicographic)."""
    paths = variant_paths(labelled)
    counted = paths.group_by(paths.path).aggregate(count=paths.count().cast("int64"))
    return counted.order_by([ibis.desc("count"), "path"])


def channel_switching(contacts: ir.Table) -> ir.Table:
    """Channel -> next channel of the same customer's consecutive contacts (diagonal: same channel)."""
    labelled = label_steps(contacts, contacts.channel, contacts.customer_id)
    return directly_follows(labelled)
