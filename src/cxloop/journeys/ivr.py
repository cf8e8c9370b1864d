"""IVR path analysis: where callers get lost in the menu.

An IVR call is a session with `ivr_*` events (the event vocabulary in `cxloop.model.events`). A call is
*lost* when it ends with neither `ivr_selfservice_success` nor `ivr_to_agent` (the metrics' IVR lost
rate). It is lost *at* the last menu node it reached (`ivr_node`, node id in `attributes.node`; "(start)"
when it reached none). A node's lost rate = calls lost at it / calls that visited it, in %, with a Wilson
score interval (Wilson 1927); nodes with fewer visits than `ivr_min_visits` are flagged `low_n` and
ranked after the others. Paths are the ordered node sequences of calls (built like flow variants).
"""

from __future__ import annotations

import math

import ibis
import ibis.expr.types as ir

from cxloop.journeys.flows import variant_paths
from cxloop.journeys.steps import attribute_text, order_keys

__all__ = ["START_NODE", "ivr_calls", "node_stats", "path_stats", "wilson_interval"]

START_NODE = "(start)"


def ivr_calls(steps: ir.Table, *, native_json: bool = False) -> tuple[ir.Table, ir.Table]:
    """(calls, visits): one row per IVR call with `outcome` and `last_node`; one row per node visit."""
    ivr = steps.filter(steps.session_id.notnull(), steps.event_type.startswith("ivr_"))
    nodes = ivr.filter(ivr.event_type == "ivr_node")
    nodes = nodes.mutate(label=attribute_text(nodes.attributes, "node", native=native_json).fill_null("(unknown)"),
                         seq_key=nodes.session_id)
    w = ibis.window(group_by=nodes.session_id, order_by=order_keys(nodes))
    nodes = nodes.mutate(pos=ibis.row_number().over(w) + 1,
                         n=nodes.count().over(ibis.window(group_by=nodes.session_id)))
    last = nodes.filter(nodes.pos == nodes.n).select(l_session=nodes.session_id, last_node=nodes.label)
    is_ = ivr.event_type
    calls = ivr.group_by(ivr.session_id).aggregate(
        success=(is_ == "ivr_selfservice_success").any(),
        agent=(is_ == "ivr_to_agent").any(),
        started_at=ivr.occurred_at.min(),
    )
    calls = calls.mutate(
        outcome=ibis.cases((calls.success, "self_service"), (calls.agent, "agent"), else_="lost")
    )
    calls = calls.left_join(last, calls.session_id == last.l_session).drop("l_session")
    calls = calls.mutate(last_node=calls.last_node.fill_null(START_NODE))
    return calls, nodes


def node_stats(calls: ir.Table, nodes: ir.Table) -> ir.Table:
    """Per node: visits (calls that reached it), lost / to-agent / self-service endings at it."""
    visits = nodes.group_by(node=nodes.label).aggregate(visits=nodes.session_id.nunique().cast("int64"))
    ends = calls.group_by(e_node=calls.last_node).aggregate(
        lost=(calls.outcome == "lost").sum().cast("int64"),
        to_agent=(calls.outcome == "agent").sum().cast("int64"),
        self_service=(calls.outcome == "self_service").sum().cast("int64"),
        ended=calls.count().cast("int64"),
    )
    joined = visits.outer_join(ends, visits.node == ends.e_node)
    out = joined.select(
        node=ibis.coalesce(joined.node, joined.e_node),
        visits=ibis.coalesce(joined.visits, joined.ended),  # "(start)" is ended at without a visit event
        lost=joined.lost.fill_null(0),
        to_agent=joined.to_agent.fill_null(0),
        self_service=joined.self_service.fill_null(0),
    )
    return out.mutate(lost_rate=(100.0 * out.lost.cast("float64") / out.visits).round(2))


def path_stats(calls: ir.Table, nodes: ir.Table) -> ir.Table:
    """Node paths of IVR calls with their calls, lost calls and lost rate, most frequent first."""
    paths = variant_paths(nodes)
    joined = paths.inner_join(calls, paths.seq_key == calls.session_id)
    counted = joined.group_by(joined.path).aggregate(
        calls=joined.count().cast("int64"), lost=(joined.outcome == "lost").sum().cast("int64")
    )
    counted = counted.mutate(lost_rate=(100.0 * counted.lost.cast("float64") / counted.calls).round(2))
    return counted.order_by([ibis.desc("calls"), "path"])


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float | None, float | None]:
    """Wilson score interval for a proportion, in % (None, None when n is 0)."""
    if n <= 0:
        return None, None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return round(100 * max(0.0, centre - half), 2), round(100 * min(1.0, centre + half), 2)
