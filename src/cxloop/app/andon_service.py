"""Andon on a workspace: read the reports, find the issues (`cxloop.loop.andon`), store holds with their
evidence, open a compensation case per complainant; list and release holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxloop.app.alert_rules import EPOCH, RuleContext
from cxloop.app.clock import utc_now
from cxloop.app.workspace import Workspace
from cxloop.errors import Conflict, NotFound, UsageError
from cxloop.loop.alerts import AlertDraft, CaseDraft, HoldDraft
from cxloop.loop.andon import AndonOptions, Issue, KnownHold, Reports, detect_issues
from cxloop.loop.messages import render
from cxloop.loop.terms import report_terms
from cxloop.settings.alerts import AndonRule
from cxloop.store import transaction

__all__ = ["HOLD_STATUSES", "AndonOutcome", "andon_drafts", "list_holds", "release_hold", "store_evidence"]

HOLD_STATUSES = ("on_hold", "released")
_DAY = timedelta(days=1)


@dataclass
class AndonOutcome:
    alerts: list[AlertDraft]
    evidence: dict[str, list[tuple[str, str, datetime]]]  # hold_id -> (record_id, customer, occurred_at)
    cases: list[CaseDraft]


def _andon_topics(ctx: RuleContext, rule: AndonRule) -> frozenset[str]:
    """The marked topics and all their descendants."""
    marked = set(rule.topics)
    changed = True
    while changed:
        extra = {t for t, info in ctx.topics.items() if info.get("parent_id") in marked and t not in marked}
        marked |= extra
        changed = bool(extra)
    return frozenset(marked)


def _known_holds(ws: Workspace, rule: str) -> list[KnownHold]:
    rows = ws.con.execute(
        "SELECT h.hold_id, h.product, h.topic_id, h.terms, s.status, "
        "(SELECT max(occurred_at) FROM hold_evidence v WHERE v.hold_id = h.hold_id) "
        "FROM holds h JOIN (SELECT * FROM hold_events QUALIFY row_number() OVER (PARTITION BY hold_id "
        "ORDER BY seq DESC) = 1) s USING (hold_id) WHERE h.rule = ?", [rule]).fetchall()
    return [KnownHold(r[0], r[1], r[2], tuple(r[3] or ()), r[4] == "on_hold",
                      int((r[5] or EPOCH).timestamp() - EPOCH.timestamp())) for r in rows]


def _reports(ctx: RuleContext, rule: AndonRule, span_start: datetime | None) -> pa.Table:
    pred, params = ctx.changed_sql()
    start = "AND r.occurred_at > ?" if span_start is not None else ""
    return ctx.ws.con.sql(
        "SELECT r.record_id, r.occurred_at, r.product, coalesce(r.customer_id, 'R:' || r.record_id) AS customer, "
        "e.topic_id, list_distinct(list_transform(e.tokens, lambda w: lower(w))) AS tokens, "
        f"{pred} AS evaluate FROM records r LEFT JOIN enrichments e USING (record_id) "
        "WHERE r.text IS NOT NULL AND r.product IS NOT NULL AND (e.sentiment = 'neg' OR r.kind = 'complaint') "
        f"{start}", params=[*params, *([span_start] if span_start is not None else [])],
    ).to_arrow_table()


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    encoded = pc.dictionary_encode(column).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    codes = np.where(encoded.is_null().to_numpy(zero_copy_only=False), -1, codes)
    return codes.astype(np.int64), [str(v) for v in encoded.dictionary.to_pylist()]


def _as_reports(table: pa.Table, terms: bool, data_start: datetime) -> Reports:
    product, products = _codes(table["product"])
    customer, _ = _codes(table["customer"])
    topic, topics = _codes(table["topic_id"])
    t = pc.cast(table["occurred_at"], pa.timestamp("s")).to_numpy().astype(np.int64)
    pairs = report_terms(table["tokens"] if terms else pa.array([], pa.list_(pa.string())), products, distinct=True)
    return Reports(record_id=table["record_id"].to_numpy(), t=t, product=product, customer=customer, topic=topic,
                   evaluate=table["evaluate"].to_numpy().astype(bool), products=products, topics=topics, terms=pairs,
                   data_start=int((data_start - EPOCH).total_seconds()))


def _seconds(value: int) -> datetime:
    return EPOCH + timedelta(seconds=int(value))


def _reason(ctx: RuleContext, rule: AndonRule, issue: Issue, label: str) -> str:
    """Why the hold fired, in the alert language: the count, and each baseline's test or why it was skipped."""
    s, en = issue.stats, ctx.language == "en"
    opened = _seconds(issue.opened_t)
    share = s["reports"] / max(s["product_reports"], 1)
    head = (f"{s['customers']} distinct customers reported {label} on {issue.product} in the {rule.window_days} days "
            f"to {opened:%Y-%m-%d %H:%M} UTC ({s['reports']} of the product's {s['product_reports']} reports, "
            f"{share:.0%}). " if en else
            f"截至 {opened:%Y-%m-%d %H:%M} UTC 的 {rule.window_days} 天内，{s['customers']} 位不同客户反映 "
            f"{issue.product}「{label}」（占该产品 {s['product_reports']} 条反馈中的 {s['reports']} 条，"
            f"{share:.0%}）。")
    if s["p_own"] < 1:
        own = (f"Own history: {s['history']} reports in the previous {s['history_days']:g} days, conditional test "
               f"p = {s['p_own']:.2g} < {rule.alpha:g}. " if en else
               f"本产品此前 {s['history_days']:g} 天仅 {s['history']} 条，条件检验 p = {s['p_own']:.2g} "
               f"< {rule.alpha:g}。")
    else:
        own = (f"Too little history to test ({s['history_days']:g} days): the issue makes up {share:.0%} of the "
               f"product's reports (at least {rule.new_share:.0%} needed). " if en else
               f"历史数据不足以检验（{s['history_days']:g} 天）：该问题占本产品反馈 {share:.0%}"
               f"（需 ≥ {rule.new_share:.0%}）。")
    if s["p_other"] < 1:
        other = (f"Other products: {s['other_items']} of {s['other_reports']} reports, p = {s['p_other']:.2g}."
                 if en else f"其他产品 {s['other_reports']} 条中 {s['other_items']} 条，p = {s['p_other']:.2g}。")
    else:
        other = (f"Other products: {s['other_items']} of {s['other_reports']} reports (too few to test)." if en else
                 f"其他产品 {s['other_reports']} 条中 {s['other_items']} 条（不足以检验）。")
    return head + own + other


def _label(ctx: RuleContext, issue: Issue) -> str:
    if issue.kind == "topic":
        return f"{ctx.topic_name(issue.topic_id)} ({issue.topic_id})"
    return " / ".join(issue.terms[:3])


def _evidence(reports: Reports, idx: np.ndarray, customers: np.ndarray) -> list[tuple[str, str, datetime]]:
    return [(str(reports.record_id[i]), str(customers[i]), _seconds(reports.t[i])) for i in idx]


def _compensation(rule: AndonRule, hold_id: str, product: str, title: str, department: str | None,
                  evidence: list[tuple[str, str, datetime]]) -> list[CaseDraft]:
    if not rule.compensation_cases:
        return []
    first: dict[str, tuple[str, datetime]] = {}
    for record_id, customer, at in sorted(evidence, key=lambda e: e[2]):
        first.setdefault(customer, (record_id, at))
    return [CaseDraft(f"andon|{hold_id}|{customer}", title, "andon", at, rule.case_priority,
                      customer_id=None if customer.startswith("R:") else customer, product=product,
                      department=department, origin_ref=hold_id, records=[record_id])
            for customer, (record_id, at) in first.items()]


def andon_drafts(ctx: RuleContext, rule: AndonRule) -> AndonOutcome:
    """New holds (as alerts carrying a `HoldDraft`), evidence for holds already on, compensation cases."""
    holds = _known_holds(ctx.ws, rule.name)
    lo, _ = ctx.new_span()
    if lo is None:
        return AndonOutcome([], {}, [])
    span_start = None if ctx.first_run else lo - timedelta(days=rule.window_days + rule.history_days)
    table = _reports(ctx, rule, span_start)
    first = ctx.ws.con.execute("SELECT min(occurred_at) FROM records").fetchall()[0][0] or EPOCH
    reports = _as_reports(table, rule.terms, first)
    opts = AndonOptions(customers=rule.customers, window_days=rule.window_days, history_days=rule.history_days,
                        alpha=rule.alpha, new_share=rule.new_share, topics=_andon_topics(ctx, rule),
                        terms=rule.terms)
    found = detect_issues(reports, opts, holds)
    customers = table["customer"].to_numpy()
    alerts, cases = [], []
    for issue in found.issues:
        label = _label(ctx, issue)
        evidence = _evidence(reports, issue.reports, customers)
        opened = _seconds(issue.opened_t)
        dept = ctx.department(issue.topic_id, rule.department) or "Quality"
        hold = HoldDraft(rule.name, issue.product, issue.issue_key, label, issue.topic_id, issue.terms,
                         _reason(ctx, rule, issue, label), issue.stats, opened, evidence)
        title, message = render("andon", ctx.language, product=issue.product, issue=label,
                                customers=issue.stats["customers"], days=rule.window_days, reason=hold.reason)
        draft = AlertDraft(rule.name, "andon", rule.severity, f"{issue.product}|{issue.issue_key}|{opened:%Y-%m-%d}",
                           title, message, opened, product=issue.product, topic=issue.topic_id, department=dept,
                           customers=len({e[1] for e in evidence}), records=[e[0] for e in evidence],
                           details={"issue": label, **issue.stats}, hold=hold, sinks=list(rule.sinks))
        draft.cases = _compensation(rule, hold.hold_id, issue.product, title, dept, evidence)
        alerts.append(draft)
    added: dict[str, list[tuple[str, str, datetime]]] = {}
    by_id = {h.hold_id: h for h in holds}
    for hold_id, idx in found.evidence.items():
        added[hold_id] = _evidence(reports, idx, customers)
        title = f"Andon: {by_id[hold_id].product}"
        cases += _compensation(rule, hold_id, by_id[hold_id].product, title, None, added[hold_id])
    return AndonOutcome(alerts, added, cases)


def store_evidence(ws: Workspace, evidence: dict[str, list[tuple[str, str, datetime]]], run_id: str,
                   now: datetime) -> int:
    """Append evidence rows not stored yet (inside the caller's transaction)."""
    rows = [(h, r, c, at) for h, items in evidence.items() for r, c, at in items]
    if not rows:
        return 0
    table = pa.table({"hold_id": [r[0] for r in rows], "record_id": [r[1] for r in rows],
                      "customer_id": [r[2] for r in rows], "occurred_at": pa.array([r[3] for r in rows],
                                                                                   pa.timestamp("us"))})
    ws.con.register("_cx_evidence", table)
    try:
        before = ws.con.execute("SELECT count(*) FROM hold_evidence").fetchall()[0][0]
        ws.con.execute(
            "INSERT INTO hold_evidence SELECT n.hold_id, n.record_id, n.customer_id, n.occurred_at, ?, ? "
            "FROM (SELECT DISTINCT * FROM _cx_evidence) n ANTI JOIN hold_evidence o USING (hold_id, record_id)",
            [now, run_id])
        return int(ws.con.execute("SELECT count(*) FROM hold_evidence").fetchall()[0][0] - before)
    finally:
        ws.con.unregister("_cx_evidence")


_HOLDS = (
    "SELECT h.hold_id, h.product, h.issue, h.issue_key, h.rule, h.reason, h.stats, h.opened_at, h.alert_id, "
    "s.status, CASE WHEN s.status = 'released' THEN s.changed_at END AS released_at, "
    "CASE WHEN s.status = 'released' THEN s.reason END AS release_reason, "
    "s.initiative_id FROM holds h JOIN (SELECT * FROM hold_events QUALIFY row_number() OVER "
    "(PARTITION BY hold_id ORDER BY seq DESC) = 1) s USING (hold_id)"
)


def list_holds(ws: Workspace, *, status: str | None = None, product: str | None = None) -> dict[str, Any]:
    """`{"holds": [{hold_id, product, issue, status, customers, opened_at, released_at, evidence, reason}]}`."""
    if status is not None and status not in HOLD_STATUSES:
        raise UsageError(f"--status {status!r}: use on_hold or released", field="status")
    preds = [p for p, v in (("s.status = ?", status), ("h.product = ?", product)) if v is not None]
    params = [v for v in (status, product) if v is not None]
    result = ws.con.execute(_HOLDS + (f" WHERE {' AND '.join(preds)}" if preds else "")
                            + " ORDER BY h.opened_at, h.hold_id", params)
    names = [d[0] for d in result.description]
    rows = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    evidence: dict[str, list[tuple[str, str]]] = {}
    for hold_id, record_id, customer in ws.con.execute(
            "SELECT hold_id, record_id, customer_id FROM hold_evidence ORDER BY occurred_at, record_id").fetchall():
        evidence.setdefault(hold_id, []).append((record_id, customer))
    out = []
    for r in rows:
        items = evidence.get(r["hold_id"], [])
        out.append({"hold_id": r["hold_id"], "product": r["product"], "issue": r["issue"], "status": r["status"],
                    "customers": len({c for _, c in items}), "opened_at": r["opened_at"],
                    "released_at": r["released_at"], "evidence": [rid for rid, _ in items], "reason": r["reason"],
                    "rule": r["rule"], "alert_id": r["alert_id"], "release_reason": r["release_reason"],
                    "initiative_id": r["initiative_id"]})
    return {"holds": out}


def release_hold(ws: Workspace, hold_id: str, *, reason: str, actor: str, initiative_id: str | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
    """Release a hold with a reason (and the initiative that fixed the cause, when there is one)."""
    if not reason or not reason.strip():
        raise UsageError("releasing a hold requires --reason", field="reason")
    now = now or utc_now()
    with transaction(ws.con):
        rows = ws.con.execute(_HOLDS + " WHERE h.hold_id = ?", [hold_id]).fetchall()
        if not rows:
            raise NotFound(f"hold {hold_id!r} not found", field="hold_id")
        if rows[0][9] != "on_hold":
            raise Conflict(f"hold {hold_id} is already released", field="hold_id")
        ws.con.execute("INSERT INTO hold_events VALUES (?, ?, nextval('loop_event_seq'), ?, 'released', ?, ?)",
                       [hold_id, now, actor, reason.strip(), initiative_id])
    return next(h for h in list_holds(ws)["holds"] if h["hold_id"] == hold_id)
