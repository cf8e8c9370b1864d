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

__all__ = ["channel_switching", "directly_follows", "label_codes", "label_steps", "variant_paths", "variants"]


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


def label_codes(labelled: ir.Table) -> ir.Table:
    """Distinct labels with a dense integer `code` in label order (so code order is label order)."""
    labels = labelled.select(labelled.label).distinct()
    return labels.mutate(code=ibis.row_number().over(ibis.window(order_by=labels.label)).cast("int32"))


def variant_paths(labelled: ir.Table, codes: ir.Table | None = None) -> ir.Table:
    """One row per sequence: `seq_key`, `path` (the ordered list of labels, or of codes given `codes`)."""
    if codes is not None:
        c = codes.select(c_label=codes.label, c_code=codes.code)
        joined = labelled.inner_join(c, labelled.label == c.c_label)
        labelled = joined.mutate(label=joined.c_code).drop("c_label", "c_code")
    w = ibis.window(group_by=labelled.seq_key, order_by=order_keys(labelled))
    ranked = labelled.select(labelled.seq_key, pos=ibis.row_number().over(w), label=labelled.label)
    collected = ranked.group_by(ranked.seq_key).aggregate(
        steps=ibis.struct({"pos": ranked.pos, "label": ranked.label}).collect()
    )
    return collected.select(collected.seq_key, path=collected.steps.sort().map(lambda s: s.label))


def variants(labelled: ir.Table, codes: ir.Table | None = None) -> ir.Table:
    """Variants (path, count, sequences, distinct_variants), most frequent first, ties by path.

    With `codes` (from `label_codes`) paths are lists of integer codes — cheaper to sort, collect and group
    than strings; decode the few paths you keep with the codes table. `sequences` and `distinct_variants`
    are totals over all variants (window aggregates, so one query gives the top rows and the totals).
    """
    paths = variant_paths(labelled, codes)
    counted = paths.group_by(paths.path).aggregate(count=paths.count().cast("int64"))
    everything = ibis.window()
    counted = counted.mutate(
        sequences=counted["count"].sum().over(everything).cast("int64"),
        distinct_variants=counted.count().over(everything).cast("int64"),
    )
    return counted.order_by([ibis.desc("count"), "path"])


def channel_switching(contacts: ir.Table) -> ir.Table:
    """Channel -> next channel of the same customer's consecutive contacts (diagonal: same channel)."""
    labelled = label_steps(contacts, contacts.channel, contacts.customer_id)
    return directly_follows(labelled)
