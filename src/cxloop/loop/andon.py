"""The Andon rule: when enough distinct customers report the same new or unusual issue on one product
within a few days, the product is held until the cause is fixed.

- A *report* is a record with text whose sentiment is negative or whose kind is `complaint` (the app
  selects them); its customer is the resolved customer, or the record itself when it has none.
- *Same issue*: the same most specific taxonomy topic among the topics marked for Andon (the quality
  branch by default), or — for what the taxonomy does not know — a cluster of the product's reports in the
  window linked by *distinctive terms* that burst together: each term is a series of its own, and the terms
  whose counts pass the test below are joined when their reports overlap (overlap coefficient
  |A ∩ B| / min(|A|, |B|) >= `link_overlap`, single linkage), as "开机黑屏" / "黑屏" / "开机就黑屏" would be.
- *Fires* when, for some report, its trailing window (t - W, t] holds >= N distinct customers of the issue
  on the product and that count passes the base-rate test (`windows.BaseRateTest`).
One hold per (product, issue): later reports of an issue on hold are evidence, never a second hold; a
released issue can fire again only on reports after its last evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cxloop.loop.terms import ReportTerms
from cxloop.loop.windows import BaseRateTest, series_windows, window_counts

__all__ = ["AndonOptions", "AndonResult", "Issue", "KnownHold", "Reports", "detect_issues"]

DAY = 86_400


@dataclass(frozen=True)
class AndonOptions:
    customers: int = 3
    window_days: int = 7
    history_days: int = 56
    alpha: float = 1e-6
    new_share: float = 0.5
    topics: frozenset[str] = frozenset()  # the most specific topics that count (andon-marked)
    terms: bool = True
    link_overlap: float = 0.3

    @property
    def test(self) -> BaseRateTest:
        return BaseRateTest(self.alpha, self.window_days, self.new_share, self.history_days)


@dataclass(frozen=True)
class Reports:
    """Column arrays, one entry per report. Codes index the lists beside them; -1 = none."""

    record_id: np.ndarray  # object (str)
    t: np.ndarray  # int64 seconds (UTC)
    product: np.ndarray  # int codes into `products`
    customer: np.ndarray  # int codes (distinct customers)
    topic: np.ndarray  # int codes into `topics`, -1: no topic
    evaluate: np.ndarray  # bool: a moment of this run (new or changed data)
    products: list[str]
    topics: list[str]
    terms: ReportTerms
    data_start: int  # seconds: the workspace's first report (history before it is unknown, not quiet)


@dataclass(frozen=True)
class KnownHold:
    """A stored hold: on hold (gets evidence) or released (its issue may fire again after `last_t`)."""

    hold_id: str
    product: str
    topic_id: str | None
    terms: tuple[str, ...]
    on_hold: bool
    last_t: int  # latest evidence time (seconds)


@dataclass
class Issue:
    product: str
    kind: str  # topic | terms
    topic_id: str | None
    terms: list[str]
    opened_t: int
    reports: np.ndarray  # indices into Reports: the evidence
    stats: dict[str, float | int]

    @property
    def issue_key(self) -> str:
        return f"topic:{self.topic_id}" if self.kind == "topic" else "terms:" + "|".join(sorted(self.terms))


@dataclass
class AndonResult:
    issues: list[Issue] = field(default_factory=list)
    evidence: dict[str, np.ndarray] = field(default_factory=dict)  # hold_id -> report indices to add


@dataclass(frozen=True)
class _Trigger:
    series_key: tuple[int, int]  # (product code, topic or term code)
    t: int
    stats: dict[str, float | int]


def detect_issues(reports: Reports, opts: AndonOptions, holds: list[KnownHold]) -> AndonResult:
    """New issues to hold and the evidence to add to the holds already on."""
    w, h = opts.window_days * DAY, opts.history_days * DAY
    own_n, all_n = _report_windows(reports, w)
    result = AndonResult()
    blocked = _blocked(reports, holds)
    topic_idx = np.flatnonzero(np.isin(reports.topic, [i for i, t in enumerate(reports.topics)
                                                         if t in opts.topics]) & (reports.topic >= 0))
    topic_triggers = _triggers(reports, opts, topic_idx, reports.topic[topic_idx], own_n, all_n, w, h,
                               blocked.get("topic", {}))
    issues: list[Issue] = []
    for trig in topic_triggers:
        p, code = trig.series_key
        members = topic_idx[(reports.product[topic_idx] == p) & (reports.topic[topic_idx] == code)]
        issues.append(Issue(reports.products[p], "topic", reports.topics[code], [], trig.t,
                            _from(members, reports.t, trig.t - w), trig.stats))
    term_issues: list[Issue] = []
    if opts.terms and len(reports.terms.report):
        pairs = reports.terms
        term_triggers = _triggers(reports, opts, pairs.report, pairs.term, own_n, all_n, w, h,
                                  blocked.get("terms", {}))
        term_issues = _group_terms(reports, opts, term_triggers, issues, holds, result)
    result.issues = issues + term_issues
    _add_evidence(reports, holds, opts, result)
    return result


def _report_windows(reports: Reports, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Per report: reports of its product, and of all products, in its trailing window."""
    order = np.lexsort((reports.t, reports.product))
    own = window_counts(reports.product[order], reports.t[order], reports.product, reports.t - w, reports.t)
    zeros = np.zeros(len(reports.t), dtype=np.int64)
    everyone = window_counts(zeros, np.sort(reports.t), zeros, reports.t - w, reports.t)
    return own, everyone


def _from(members: np.ndarray, t: np.ndarray, start: int) -> np.ndarray:
    """Members after `start` (the trigger's window and everything later), in time order."""
    chosen = members[t[members] > start]
    return chosen[np.argsort(t[chosen], kind="stable")]


def _triggers(reports: Reports, opts: AndonOptions, idx: np.ndarray, issue: np.ndarray, own_n: np.ndarray,
              all_n: np.ndarray, w: int, h: int, blocked: dict[tuple[int, int], int]) -> list[_Trigger]:
    """The first firing moment of each (product, issue) series among this run's moments."""
    if len(idx) == 0:
        return []
    product, t = reports.product[idx], reports.t[idx]
    n_issue = int(issue.max()) + 1
    series = product.astype(np.int64) * n_issue + issue
    if len(reports.products) * n_issue >= 1 << 28:  # the window keys' limit: renumber the series used
        series = np.unique(series, return_inverse=True)[1].astype(np.int64)
    asked = reports.evaluate[idx]
    win = series_windows(series, t, reports.customer[idx], w, h, at=asked)
    order = np.lexsort((t, issue))
    any_product = np.zeros(len(idx), dtype=np.int64)
    any_product[asked] = window_counts(issue[order], t[order], issue[asked], t[asked] - w, t[asked])
    other_items = any_product - win.items
    own_reports = own_n[idx]
    other_reports = all_n[idx] - own_reports
    available = np.clip((t - w - reports.data_start) / DAY, 0, opts.history_days)
    candidate = reports.evaluate[idx] & (win.distinct >= opts.customers)
    fired = np.zeros(len(idx), dtype=bool)
    p_own, p_other = np.ones(len(idx)), np.ones(len(idx))
    c = candidate
    fired[c], p_own[c], p_other[c] = opts.test.fires(win.distinct[c], win.items[c], own_reports[c], win.history[c],
                                                     available[c], other_items[c], other_reports[c])
    for key, after in blocked.items():  # on hold, or released: only reports after its last evidence
        fired &= ~((product == key[0]) & (issue == key[1]) & (t <= after))
    out: list[_Trigger] = []
    hits = np.flatnonzero(fired)
    hits = hits[np.lexsort((t[hits], series[hits]))]
    first = hits[np.r_[True, series[hits][1:] != series[hits][:-1]]] if len(hits) else hits
    for i in first:
        out.append(_Trigger((int(product[i]), int(issue[i])), int(t[i]), {
            "customers": int(win.distinct[i]), "reports": int(win.items[i]), "history": int(win.history[i]),
            "history_days": round(float(available[i]), 1), "other_items": int(other_items[i]),
            "other_reports": int(other_reports[i]), "product_reports": int(own_reports[i]),
            "p_own": float(p_own[i]), "p_other": float(p_other[i]),
        }))
    return out


def _blocked(reports: Reports, holds: list[KnownHold]) -> dict[str, dict[tuple[int, int], int]]:
    """Series that may not fire (before `t`): topics and terms of the stored holds, by code."""
    products = {p: i for i, p in enumerate(reports.products)}
    topics = {t: i for i, t in enumerate(reports.topics)}
    terms = {t: i for i, t in enumerate(reports.terms.vocabulary)}
    out: dict[str, dict[tuple[int, int], int]] = {"topic": {}, "terms": {}}
    for hold in holds:
        p = products.get(hold.product)
        if p is None:
            continue
        until = np.iinfo(np.int64).max if hold.on_hold else hold.last_t
        if hold.topic_id is not None and hold.topic_id in topics:
            out["topic"][(p, topics[hold.topic_id])] = until
        for term in hold.terms:
            if term in terms:
                out["terms"][(p, terms[term])] = until
    return out


def _group_terms(reports: Reports, opts: AndonOptions, triggers: list[_Trigger], topic_issues: list[Issue],
                 holds: list[KnownHold], result: AndonResult) -> list[Issue]:
    """Join co-bursting terms of one product into issues; fold them into a topic issue or a hold that
    covers the same reports."""
    pairs, w = reports.terms, opts.window_days * DAY
    by_product: dict[int, list[_Trigger]] = {}
    for trig in triggers:
        by_product.setdefault(trig.series_key[0], []).append(trig)
    out: list[Issue] = []
    for p, trigs in by_product.items():
        lo, hi = min(tr.t for tr in trigs) - w, max(tr.t for tr in trigs) + w
        in_span = (reports.product[pairs.report] == p) & (reports.t[pairs.report] > lo) & \
                  (reports.t[pairs.report] <= hi)
        sets = [np.unique(pairs.report[in_span & (pairs.term == tr.series_key[1])]) for tr in trigs]
        others = _other_nodes(reports, p, topic_issues, holds, in_span)
        labels = _link([*sets, *(s for _, s in others)], opts.link_overlap)
        for comp in np.unique(labels[: len(trigs)]):
            members = [i for i in range(len(trigs)) if labels[i] == comp]
            target = next((others[j][0] for j in range(len(others)) if labels[len(trigs) + j] == comp), None)
            evidence = np.unique(np.concatenate([sets[i] for i in members]))
            if isinstance(target, Issue):
                target.reports = np.union1d(target.reports, evidence)
            elif isinstance(target, KnownHold):
                if target.on_hold:
                    result.evidence[target.hold_id] = np.union1d(
                        result.evidence.get(target.hold_id, np.zeros(0, np.int64)), evidence)
            else:
                first = min(members, key=lambda i: trigs[i].t)
                words = sorted(members, key=lambda i: (-len(sets[i]), pairs.vocabulary[trigs[i].series_key[1]]))
                out.append(Issue(reports.products[p], "terms", None,
                                 [pairs.vocabulary[trigs[i].series_key[1]] for i in words],
                                 trigs[first].t, _from(evidence, reports.t, trigs[first].t - w), trigs[first].stats))
    return out


def _other_nodes(reports: Reports, p: int, topic_issues: list[Issue], holds: list[KnownHold],
                 in_span: np.ndarray) -> list[tuple[Issue | KnownHold, np.ndarray]]:
    """Topic issues and stored holds of product `p`, with their reports in the span."""
    pairs = reports.terms
    span_reports = np.unique(pairs.report[in_span])
    nodes: list[tuple[Issue | KnownHold, np.ndarray]] = []
    for issue in topic_issues:
        if issue.product == reports.products[p]:
            nodes.append((issue, np.intersect1d(issue.reports, span_reports)))
    vocab = {t: i for i, t in enumerate(pairs.vocabulary)}
    topic_code = {t: i for i, t in enumerate(reports.topics)}
    for hold in holds:
        if hold.product != reports.products[p]:
            continue
        codes = [vocab[t] for t in hold.terms if t in vocab]
        by_terms = pairs.report[in_span & np.isin(pairs.term, codes)] if codes else np.zeros(0, np.int64)
        by_topic = span_reports[reports.topic[span_reports] == topic_code.get(hold.topic_id or "", -2)]
        nodes.append((hold, np.union1d(by_terms, by_topic)))
    return nodes


def _link(sets: list[np.ndarray], threshold: float) -> np.ndarray:
    """Connected components of the sets, two linked when |A ∩ B| / min(|A|, |B|) >= threshold."""
    n = len(sets)
    rows, cols = [], []
    for i in range(n):
        for j in range(i + 1, n):
            small = min(len(sets[i]), len(sets[j]))
            if small and len(np.intersect1d(sets[i], sets[j], assume_unique=True)) >= threshold * small:
                rows.append(i)
                cols.append(j)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _add_evidence(reports: Reports, holds: list[KnownHold], opts: AndonOptions, result: AndonResult) -> None:
    """This run's reports of an issue on hold are added to its evidence."""
    pairs = reports.terms
    vocab = {t: i for i, t in enumerate(pairs.vocabulary)}
    topic_code = {t: i for i, t in enumerate(reports.topics)}
    products = {p: i for i, p in enumerate(reports.products)}
    for hold in holds:
        if not hold.on_hold or hold.product not in products:
            continue
        mine = reports.evaluate & (reports.product == products[hold.product])
        found = np.flatnonzero(mine & (reports.topic == topic_code.get(hold.topic_id or "", -2)))
        codes = [vocab[t] for t in hold.terms if t in vocab]
        if codes:
            by_terms = pairs.report[np.isin(pairs.term, codes)]
            found = np.union1d(found, by_terms[mine[by_terms]])
        if len(found):
            result.evidence[hold.hold_id] = np.union1d(result.evidence.get(hold.hold_id, found), found)
