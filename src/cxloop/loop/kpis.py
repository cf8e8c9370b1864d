"""The KPI tree: company NPS/CSAT decomposed into department and process indicators, each a metric query
with an owner, a target and a weight in its parent (declared in `cxloop.toml` as `[[kpis.nodes]]`).

For a month each node shows its value with n and interval, the trend against the previous month (the
difference and its two-sample test: a move that is not significant is "flat"), and a status:
`on_target` (meets the target), `at_risk` (misses it, but the 95% interval still reaches it),
`off_target` (the interval excludes it), `no_target` or `no_data`. A parent also reports the share of its
children's weight that is on target. Without a declared tree, a default one is used (company NPS over
CSAT, 3E, first-contact resolution, repeat contact and transfers), with no targets.
"""

from __future__ import annotations

from typing import Any

from cxloop.config import KpiNode
from cxloop.loop.effects import Estimate

__all__ = ["DEFAULT_TREE", "children_of", "node_status", "trend_of", "weighted_on_target"]

DEFAULT_TREE = (
    KpiNode(id="nps", name="公司 NPS / Company NPS", metric="nps", owner="CX"),
    KpiNode(id="csat", name="服务满意度 / Service CSAT (top-2-box %)", metric="csat", parent="nps",
            owner="Customer Service Center"),
    KpiNode(id="3e", name="3E 指数 / 3E index", metric="3e", parent="nps", owner="Customer Service Center"),
    KpiNode(id="fcr", name="一次解决率 / First-contact resolution %", metric="fcr", parent="nps",
            owner="Customer Service Center"),
    KpiNode(id="repeat_contact", name="重复来电率 / Repeat contact %", metric="repeat_contact", parent="nps",
            owner="Customer Service Center", direction="lower"),
    KpiNode(id="transfer", name="转接率 / Transfer %", metric="transfer", parent="nps",
            owner="Customer Service Center", direction="lower"),
)


def children_of(nodes: list[KpiNode] | tuple[KpiNode, ...]) -> dict[str | None, list[KpiNode]]:
    out: dict[str | None, list[KpiNode]] = {}
    for n in nodes:
        out.setdefault(n.parent, []).append(n)
    return out


def node_status(node: KpiNode, cur: Estimate) -> str:
    if cur.value is None:
        return "no_data"
    if node.target is None:
        return "no_target"
    higher = node.direction == "higher"
    if (cur.value >= node.target) if higher else (cur.value <= node.target):
        return "on_target"
    reach = cur.ci_high if higher else cur.ci_low
    if reach is not None and ((reach >= node.target) if higher else (reach <= node.target)):
        return "at_risk"
    return "off_target"


def trend_of(effect: dict[str, Any]) -> dict[str, Any]:
    """Against the previous month: difference, p-value and a direction that says "flat" unless the move
    is significant."""
    diff, sig = effect.get("difference"), effect.get("significant")
    direction = "flat" if diff is None or not sig else ("up" if diff > 0 else "down")
    return {"previous": effect["before"]["value"], "previous_n": effect["before"]["n"], "difference": diff,
            "p_value": effect.get("p_value"), "direction": direction}


def weighted_on_target(children: list[dict[str, Any]]) -> float | None:
    """Share of the children's weight whose status is on_target (None when no child has a target)."""
    judged = [c for c in children if c["status"] in ("on_target", "at_risk", "off_target")]
    total = sum(c["weight"] for c in judged)
    if not judged or total <= 0:
        return None
    return sum(c["weight"] for c in judged if c["status"] == "on_target") / total
