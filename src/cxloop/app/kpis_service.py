"""`cxloop kpis tree [--month M]`: the KPI tree of `cxloop.toml` (or the default one) measured for a local
month: value, target, trend against the previous month and status per node (`cxloop.loop.kpis`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cxloop.app.initiatives_measure import KrMeasurer
from cxloop.app.workspace import Workspace
from cxloop.config import KpiNode
from cxloop.loop import effects as fx
from cxloop.loop import kpis
from cxloop.loop.initiatives import month_bounds, parse_month
from cxloop.loop.key_results import KeyResultQuery, validate_kr
from cxloop.loop.kr_measure import DayWindow, window_estimate, window_sums
from cxloop.metrics.query import parse_query
from cxloop.metrics.timeframe import local_date

__all__ = ["kpi_tree"]


def _query(node: KpiNode) -> KeyResultQuery:
    where = [f"{k}={v}" for k, vals in node.where.items() for v in ([vals] if isinstance(vals, str) else vals)]
    filters = parse_query("nps", where=where).filters() if where else {}
    validate_kr(node.metric, node.topic, filters)
    return KeyResultQuery(node.metric, node.topic, filters)


def _latest_month(ws: Workspace, m: KrMeasurer) -> date | None:
    """The local month of the latest record, on the measurer's engine (the DuckDB file or the lake)."""
    t = m.eng.table("records")
    latest = m.eng.to_arrow(t.aggregate(latest=t.occurred_at.max())).column("latest")[0].as_py()
    if latest is None:
        return None
    return local_date(latest, ws.settings.timezone).replace(day=1)


def _measure(m: KrMeasurer, node: KpiNode, month: date) -> dict[str, Any]:
    q = _query(node)
    start, end = month_bounds(month)
    prev = month_bounds(start - timedelta(days=1))[0]
    frame = m.daily(q, since=prev, until=end)
    cur = window_estimate(frame, node.metric, DayWindow(start, end))
    effect = fx.compare(node.metric, _sum(frame, prev, start), _sum(frame, start, end))
    return {"id": node.id, "name": node.name, "metric": node.metric, "topic": node.topic,
            "where": {k: list(v) for k, v in q.filters.items()}, "owner": node.owner, "weight": node.weight,
            "direction": node.direction, "value": cur.value, "n": cur.n, "ci_low": cur.ci_low, "ci_high": cur.ci_high,
            "target": node.target, "trend": kpis.trend_of(effect), "status": kpis.node_status(node, cur),
            "excluded_flagged": m.excluded(q)}


def _sum(frame: Any, start: date, end: date) -> Any:
    return window_sums(frame, DayWindow(start, end))


def kpi_tree(ws: Workspace, *, month: str | None = None, exclude_flagged: bool | None = None) -> dict[str, Any]:
    """`{"month", "tree": {node..., "children": [...]}, "nodes": [flat list], "declared", ...}`."""
    declared = bool(ws.settings.kpis.nodes)
    nodes = list(ws.settings.kpis.nodes) if declared else list(kpis.DEFAULT_TREE)
    m = KrMeasurer(ws, exclude_flagged)
    review = parse_month(month) if month else _latest_month(ws, m)
    if review is None:
        return {"month": None, "tree": None, "nodes": [], "declared": declared, "notes": ["no records"]}
    measured = {n.id: _measure(m, n, review) for n in nodes}
    kids = kpis.children_of(nodes)

    def build(node: KpiNode) -> dict[str, Any]:
        out = dict(measured[node.id])
        children = [build(c) for c in kids.get(node.id, [])]
        if children:
            out["children"] = children
            out["children_on_target"] = kpis.weighted_on_target(children)
        return out

    root = next(n for n in nodes if n.parent is None)
    return {"month": review.isoformat()[:7], "tree": build(root), "nodes": list(measured.values()),
            "declared": declared, "exclude_flagged": m.active,
            "excluded_flagged": sum(v["excluded_flagged"] for v in measured.values()),
            "notes": ["status: on_target, at_risk (the 95% interval still reaches the target), off_target, no_target,"
                      " no_data; trend against the previous month (flat unless significant at 5%)"]
            + ([] if declared else ["no [[kpis.nodes]] in cxloop.toml: the default tree, without targets"])}
