"""Event exports: the IVR log, the CRM case log and the order/fulfilment log.

Events are built column-wise: each session or order contributes a fixed slot pattern (a boolean
matrix says which slots exist), times are cumulative gaps, and the matrix is flattened row-major so
every session's events stay together and in time order. Event names follow `cxloop.model.events`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cxloop.demo.phrases import TOPICS
from cxloop.demo.records import Frame
from cxloop.demo.sources import SOURCES, source_index
from cxloop.demo.vocab import INSTALLERS, IVR_NODES, LOGISTICS, PRODUCTS

__all__ = ["Derived", "case_events", "ivr_events", "order_events"]

EventTable = dict[str, np.ndarray]

_NODE_IDS = np.array([n.node for n in IVR_NODES], dtype=object)
_NODE_LABELS = np.array([n.label for n in IVR_NODES], dtype=object)
_ROOT_OF_TOPIC = {"delivery_slow": "3", "order_status": "3", "install_wait": "2", "repair_quality": "2",
                  "refund": "2", "agent_attitude": "4", "wait_time": "4", "price": "1", "product_inquiry": "1"}


@dataclass
class Derived:
    """Per-record strings shared by the record exports and the event exports (aligned to the frame)."""

    phone: np.ndarray  # as shown in that record's export ("" = not shown)
    plain_phone: np.ndarray  # the customer's main number, 11 digits
    session: np.ndarray
    case: np.ndarray
    order: np.ndarray
    agent: np.ndarray
    product: np.ndarray
    region: np.ndarray


def _node(node: str) -> int:
    return next(i for i, n in enumerate(IVR_NODES) if n.node == node)


def _children(node: str) -> list[int]:
    return [i for i, n in enumerate(IVR_NODES) if n.parent == node]


def _flatten(present: np.ndarray, **cols: np.ndarray) -> EventTable:
    """Row-major flatten of (sessions, slots) matrices keeping only present slots."""
    return {k: v[present] for k, v in cols.items()}


def _paths(rng: np.random.Generator, roots: np.ndarray) -> np.ndarray:
    """Second-level node per session (-1 when the root has no children), drawn uniformly."""
    child = np.full(len(roots), -1, dtype=np.int64)
    for r in np.unique(roots):
        kids = _children(IVR_NODES[r].node)
        sel = np.flatnonzero(roots == r)
        if kids:
            child[sel] = np.array(kids)[rng.integers(0, len(kids), len(sel))]
    return child


def ivr_events(rng: np.random.Generator, f: Frame, d: Derived, lost_node: str,
               extra_callers: np.ndarray, extra_ts: np.ndarray) -> tuple[EventTable, dict[str, Any]]:
    """IVR sessions: one before every hotline call (ending ivr_to_agent) plus IVR-only sessions that end
    in self-service or abandonment; `lost_node` abandons far more often than any other node."""
    hot = np.flatnonzero(f["src"] == source_index("hotline"))
    topic_root = np.array([_node(_ROOT_OF_TOPIC.get(t.key, "0")) for t in TOPICS] + [_node("2")])
    roots_h = topic_root[f["topic"][hot]]
    m = len(extra_ts)
    roots_x = np.array([_node(x) for x in ("1", "2", "3")])[rng.choice(3, m, p=[.3, .4, .3])]
    roots = np.concatenate([roots_h, roots_x])
    child = _paths(rng, roots)
    ivr_only = np.arange(len(roots)) >= len(hot)
    child[ivr_only & (rng.random(len(roots)) < 0.15)] = -1  # some hang up or finish at the first menu
    last = np.where(child >= 0, child, roots)
    p_lost = np.full(len(IVR_NODES), 0.08)
    p_lost[[_node(x) for x in ("1", "2", "3")]] = 0.12
    p_lost[_node(lost_node)] = 0.55
    abandon = ivr_only & (rng.random(len(roots)) < p_lost[last])
    end = np.where(~ivr_only, "ivr_to_agent", np.where(abandon, "ivr_abandon", "ivr_selfservice_success"))
    # Slots: start, root node, child node, end.
    s = len(roots)
    present = np.ones((s, 4), dtype=bool)
    present[:, 2] = child >= 0
    gaps = rng.integers(4, 30, (s, 4))
    gaps[:, 0] = 0
    gaps[~present] = 0
    steps = np.cumsum(gaps, axis=1)
    wait = rng.integers(10, 300, s)
    t_end = np.concatenate([f["ts"][hot], extra_ts]) - np.where(ivr_only, 0, wait)
    t0 = t_end - steps[:, 3]
    session = np.concatenate([d.session[hot], _ivr_ids(len(hot), m)])
    caller = np.concatenate([d.phone[hot], extra_callers])
    node_idx = np.stack([np.full(s, -1), roots, child, np.full(s, -1)], axis=1)
    kinds = np.stack([np.full(s, "ivr_start", dtype=object), np.full(s, "ivr_node", dtype=object),
                      np.full(s, "ivr_node", dtype=object), end.astype(object)], axis=1)
    node_col = np.where(node_idx >= 0, _NODE_IDS[np.maximum(node_idx, 0)], "")
    label_col = np.where(node_idx >= 0, _NODE_LABELS[np.maximum(node_idx, 0)], "")
    table = _flatten(present, ts=t0[:, None] + steps, session=np.repeat(session[:, None], 4, 1),
                     caller=np.repeat(caller[:, None], 4, 1), event=kinds, node=node_col, node_name=label_col)
    return table, _lost_truth(roots, child, last, abandon, lost_node, np.unique(last[ivr_only]))


def _ivr_ids(start: int, m: int) -> np.ndarray:
    return np.array([f"IVR{start + i:09d}" for i in range(m)], dtype=object)


def _lost_truth(roots: np.ndarray, child: np.ndarray, last: np.ndarray, abandon: np.ndarray,
                lost_node: str, exits: np.ndarray) -> dict[str, Any]:
    """Lost rate per node; peers are the nodes where a caller can leave the IVR without an agent."""
    rates: dict[str, float] = {}
    visits: dict[str, int] = {}
    for i, node in enumerate(IVR_NODES):
        visited = (roots == i) | (child == i)
        if visited.sum():
            visits[node.node] = int(visited.sum())
            rates[node.node] = float((abandon & (last == i)).sum() / visited.sum())
    exit_nodes = {IVR_NODES[i].node for i in exits}
    others = [v for k, v in rates.items() if k != lost_node and k in exit_nodes]
    return {"node": lost_node, "label": IVR_NODES[_node(lost_node)].label,
            "definition": "sessions that abandon (ivr_abandon) with this node as their last ivr_node / "
                          "sessions that visit the node",
            "lost_rate": round(rates[lost_node], 4), "other_nodes_mean": round(float(np.mean(others)), 4),
            "other_nodes_max": round(float(np.max(others)), 4),
            "rates": {k: round(v, 4) for k, v in rates.items()}, "visits": visits}


def case_events(f: Frame, d: Derived, rng: np.random.Generator) -> EventTable:
    """CRM case log of assisted contacts: reopened, contact_start, transfer, contact_end, resolved."""
    rows = np.flatnonzero(np.isin(f["src"], [i for i, s in enumerate(SOURCES) if s.service]))
    ts = f["ts"][rows]
    dur = np.maximum(f["dur"][rows], 30).astype(np.int64)
    outcome = f["outcome"][rows]
    shared = f["case"][rows] >= 0
    case_key = np.where(shared, f["case"][rows], -1 - rows)
    order = np.lexsort((ts, case_key))
    first_of_case = np.ones(len(rows), dtype=bool)
    first_of_case[order[1:]] = case_key[order[1:]] != case_key[order[:-1]]
    n = len(rows)
    present = np.stack([shared & ~first_of_case, np.ones(n, bool), outcome == 2, np.ones(n, bool),
                        outcome == 0], axis=1)
    times = np.stack([ts - 1, ts, ts + dur * 2 // 5, ts + dur, ts + dur + rng.integers(5, 120, n)], axis=1)
    kinds = np.broadcast_to(np.array(["reopened", "contact_start", "transfer", "contact_end", "resolved"],
                                     dtype=object), (n, 5))
    channel = np.array([s.channel for s in SOURCES], dtype=object)[f["src"][rows]]

    def rep(a: np.ndarray) -> np.ndarray:
        return np.repeat(a[:, None], 5, axis=1)

    return _flatten(present, ts=times, case=rep(d.case[rows]), session=rep(d.session[rows]), event=kinds,
                    channel=rep(channel), phone=rep(d.phone[rows]), agent=rep(d.agent[rows]))


def order_events(f: Frame, d: Derived, rng: np.random.Generator, fix: tuple[int, int]) -> EventTable:
    """Order, delivery and (for TVs and vacuums) installation before each review and NPS response.

    `fix` = (product index, fix time): installations of that product wait a week before the fix.
    """
    src_names = ("jd_reviews", "tmall_reviews", "nps_survey")
    rows = np.flatnonzero(np.isin(f["src"], [source_index(s) for s in src_names]))
    n = len(rows)
    prod = f["prod"][rows]
    installs = np.isin(np.array([p.category for p in PRODUCTS])[prod], ["tv", "vacuum"])
    use_days = rng.integers(1, 20, n)
    installed_at = f["ts"][rows] - use_days * 86400 - rng.integers(0, 86400, n)
    slow_fix = (prod == fix[0]) & (installed_at < fix[1])
    install_lag = np.where(slow_fix, rng.integers(4, 11, n), rng.integers(0, 3, n)) * 86400 + rng.integers(
        3600, 8 * 3600, n)
    slow = f["topic"][rows] == next(i for i, t in enumerate(TOPICS) if t.key == "delivery_slow")
    delivery_lag = np.where(slow, rng.integers(5, 10, n), rng.integers(1, 4, n)) * 86400
    delivered_at = installed_at - np.where(installs, install_lag, 0)
    ordered_at = delivered_at - delivery_lag - rng.integers(0, 12 * 3600, n)
    present = np.stack([np.ones(n, bool), np.ones(n, bool), installs], axis=1)
    times = np.stack([ordered_at, delivered_at, installed_at], axis=1)
    kinds = np.broadcast_to(np.array(["order", "delivery", "install"], dtype=object), (n, 3))
    stages = np.broadcast_to(np.array(["purchase", "deliver", "install"], dtype=object), (n, 3))
    logistics = np.array(LOGISTICS, dtype=object)[rng.integers(0, len(LOGISTICS), n)]
    installer = np.array(INSTALLERS, dtype=object)[rng.integers(0, len(INSTALLERS), n)]
    partner = np.stack([np.full(n, "", dtype=object), logistics, installer], axis=1)
    store = np.array(["jd_store", "tmall_store", "official_app"], dtype=object)[
        np.searchsorted([source_index(s) for s in src_names], f["src"][rows])]

    def rep(a: np.ndarray) -> np.ndarray:
        return np.repeat(a[:, None], 3, axis=1)

    return _flatten(present, ts=times, order=rep(d.order[rows]), phone=rep(d.plain_phone[rows]),
                    product=rep(d.product[rows]), event=kinds, partner=partner, store=rep(store),
                    region=rep(d.region[rows]), stage=stages)
