"""`alerts run` and the alert inbox: evaluate the rules on data not yet evaluated, store what is new, deliver.

A run (1) evaluates every enabled rule on what changed since the previous run's watermark, (2) stores in
one transaction the alerts whose dedupe key is new — with their holds, evidence, cases and outbox rows —
(3) evaluates the SLA rule (cases opened in step 2 included), (4) records its watermark, and only then
(5) delivers. Re-running on the same data finds the same keys and stores and sends nothing. Alerts older
than `deliver_recent_days` of data time are stored as `backfilled` and not sent.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from cxloop.app import andon_service, cases_service
from cxloop.app.alert_rules import EPOCH, EVALUATORS, DataState, RuleContext, data_state, topic_info
from cxloop.app.clock import utc_now
from cxloop.app.delivery_service import check_sinks, deliver_pending, queue_deliveries
from cxloop.app.lake import require_local
from cxloop.app.workspace import Workspace
from cxloop.errors import Conflict, NotFound, UsageError
from cxloop.loop.alerts import ALERT_STATUSES, AlertDraft, CaseDraft, is_backfill, stable_id
from cxloop.settings.alerts import AndonRule, SlaRule, default_rules
from cxloop.store import registered, transaction

__all__ = ["ALERT_FIELDS", "ack_alert", "close_alert", "list_alerts", "run_alerts"]

ALERT_FIELDS = ("alert_id", "rule", "kind", "severity", "product", "topic", "customers", "records", "occurred_at",
                "created_at", "status")


@dataclass
class _Found:
    alerts: list[AlertDraft] = field(default_factory=list)
    evidence: dict[str, list[tuple[str, str, datetime]]] = field(default_factory=dict)
    cases: list[CaseDraft] = field(default_factory=list)


def _simple(evaluate: Callable[[RuleContext, Any], list[AlertDraft]]) -> Callable[[RuleContext, Any], _Found]:
    return lambda ctx, rule: _Found(evaluate(ctx, rule))


def _andon(ctx: RuleContext, rule: AndonRule) -> _Found:
    out = andon_service.andon_drafts(ctx, rule)
    return _Found(out.alerts, out.evidence, out.cases)


_RULES: dict[type, Callable[[RuleContext, Any], _Found]] = {
    **{kind: _simple(fn) for kind, fn in EVALUATORS.items()},
    AndonRule: _andon,
    SlaRule: _simple(cases_service.sla_drafts),
}
_LATE = (SlaRule,)  # evaluated after the other rules' cases are stored


def _watermark(ws: Workspace) -> DataState:
    row = ws.con.execute("SELECT records_upto, events_upto, enriched_upto, data_clock FROM alert_runs "
                         "ORDER BY started_at DESC LIMIT 1").fetchall()
    if not row:
        return DataState(EPOCH, EPOCH, EPOCH, None)
    return DataState(*row[0])


def _alert_table(drafts: list[AlertDraft], run_id: str, now: datetime) -> pa.Table:
    return pa.Table.from_pylist([{
        "alert_id": d.alert_id, "dedupe_key": d.dedupe_key, "rule": d.rule, "kind": d.kind, "severity": d.severity,
        "product": d.product, "topic": d.topic, "department": d.department, "title": d.title, "message": d.message,
        "customers": d.customers, "records": d.records, "details": json.dumps(d.details, ensure_ascii=False,
                                                                            default=str),
        "occurred_at": d.occurred_at, "created_at": now, "run_id": run_id,
        "hold_id": d.hold.hold_id if d.hold else None, "case_id": d.cases[0].case_id if d.cases else None,
    } for d in drafts], schema=pa.schema([
        ("alert_id", pa.string()), ("dedupe_key", pa.string()), ("rule", pa.string()), ("kind", pa.string()),
        ("severity", pa.string()), ("product", pa.string()), ("topic", pa.string()), ("department", pa.string()),
        ("title", pa.string()), ("message", pa.string()), ("customers", pa.int64()), ("records", pa.list_(pa.string())),
        ("details", pa.string()), ("occurred_at", pa.timestamp("us")), ("created_at", pa.timestamp("us")),
        ("run_id", pa.string()), ("hold_id", pa.string()), ("case_id", pa.string()),
    ]))


def _store(ws: Workspace, found: _Found, ctx: RuleContext, run_id: str, actor: str) -> list[dict[str, Any]]:
    """Store the new alerts with their holds, cases and deliveries (one transaction); return them."""
    settings, now = ws.settings.alerts, ctx.now
    unique = list({d.alert_id: d for d in found.alerts}.values())
    with transaction(ws.con):
        new: list[AlertDraft] = []
        if unique:
            with registered(ws.con, "_cx_alerts", _alert_table(unique, run_id, now)):
                fresh = {r[0] for r in ws.con.execute(
                    "SELECT alert_id FROM _cx_alerts ANTI JOIN alerts USING (alert_id)").fetchall()}
                ws.con.execute("INSERT INTO alerts SELECT * FROM _cx_alerts ANTI JOIN alerts USING (alert_id)")
            new = [d for d in unique if d.alert_id in fresh]
        status = {d.alert_id: "backfilled" if is_backfill(d.occurred_at, ctx.upto.clock,
                                                           settings.deliver_recent_days) else "open" for d in new}
        if new:
            events = pa.table({"alert_id": [d.alert_id for d in new], "status": [status[d.alert_id] for d in new]})
            with registered(ws.con, "_cx_events", events):
                ws.con.execute("INSERT INTO alert_events SELECT alert_id, ?, nextval('loop_event_seq'), ?, status, "
                               "NULL FROM _cx_events", [now, actor])
        cases = list(found.cases)
        for d in new:
            if d.hold is not None:
                _store_hold(ws, d, run_id, actor, now)
            if not (d.live_cases_only and status[d.alert_id] == "backfilled"):
                cases += d.cases
        cases_service.open_cases(ws, cases, actor=actor, now=now)
        andon_service.store_evidence(ws, found.evidence, run_id, now)
        queue_deliveries(ws, [(d.alert_id, d.sinks) for d in new if status[d.alert_id] == "open" and d.sinks],
                         settings, run_id, now)
    return [{"alert_id": d.alert_id, "rule": d.rule, "kind": d.kind, "severity": d.severity, "product": d.product,
             "topic": d.topic, "customers": d.customers, "records": d.records, "occurred_at": d.occurred_at,
             "created_at": now, "status": status[d.alert_id], "title": d.title, "department": d.department,
             "hold_id": d.hold.hold_id if d.hold else None, "case_id": d.cases[0].case_id if d.cases else None}
            for d in sorted(new, key=lambda a: (a.occurred_at, a.alert_id))]


def _store_hold(ws: Workspace, d: AlertDraft, run_id: str, actor: str, now: datetime) -> None:
    h = d.hold
    assert h is not None
    ws.con.execute("INSERT INTO holds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [h.hold_id, h.rule, h.product, h.issue_key, h.issue, h.topic_id, h.terms, h.reason,
                    json.dumps(h.stats), h.opened_at, now, d.alert_id])
    ws.con.execute("INSERT INTO hold_events VALUES (?, ?, nextval('loop_event_seq'), ?, 'on_hold', ?, NULL)",
                   [h.hold_id, now, actor, h.reason])
    andon_service.store_evidence(ws, {h.hold_id: h.evidence}, run_id, now)


def _rules(ws: Workspace) -> list[Any]:
    configured = ws.settings.alerts.rules
    return [r for r in (configured if configured is not None else default_rules()) if r.enabled]


def run_alerts(ws: Workspace, *, actor: str = "cli", now: datetime | None = None, deliver: bool = True,
               sleep: Callable[[float], None] | None = None) -> dict[str, Any]:
    """`{"alerts": [new alerts], "delivered", "dead_letters", "holds", "cases", "run_id"}`."""
    require_local(ws, "alerts run")
    settings = ws.settings.alerts
    check_sinks(settings)
    now = now or utc_now()
    upto = data_state(ws)
    ctx = RuleContext(ws, _watermark(ws), upto, settings.language, topic_info(ws), now)
    run_id = stable_id("RUN-", f"{now.isoformat()}|{secrets.token_hex(8)}", 12)
    holds_before, cases_before = _count(ws, "holds"), _count(ws, "cases")
    rules = _rules(ws)
    ctx.prepare()
    found = _Found()
    for rule in (r for r in rules if not isinstance(r, _LATE)):
        part = _RULES[type(rule)](ctx, rule)
        found.alerts += part.alerts
        found.cases += part.cases
        for hold_id, items in part.evidence.items():
            found.evidence.setdefault(hold_id, []).extend(items)
    new = _store(ws, found, ctx, run_id, actor)
    late = _Found([a for r in rules if isinstance(r, _LATE) for a in _RULES[type(r)](ctx, r).alerts])
    new += _store(ws, late, ctx, run_id, actor)
    ctx.finish()
    with transaction(ws.con):
        ws.con.execute("INSERT INTO alert_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [run_id, now, utc_now(), upto.clock, upto.records_upto, upto.events_upto, upto.enriched_upto,
                        len(new), actor])
    delivered, dead = deliver_pending(ws, settings, sleep) if deliver else (0, 0)
    return {"alerts": new, "delivered": delivered, "dead_letters": dead, "run_id": run_id,
            "holds": _count(ws, "holds") - holds_before, "cases": _count(ws, "cases") - cases_before}


def _count(ws: Workspace, table: str) -> int:
    return int(ws.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


_CURRENT = ("SELECT a.*, s.status FROM alerts a JOIN (SELECT alert_id, status FROM alert_events QUALIFY "
            "row_number() OVER (PARTITION BY alert_id ORDER BY seq DESC) = 1) s USING (alert_id)")


def list_alerts(ws: Workspace, *, status: str | None = None, rule: str | None = None, since: str | None = None,
                product: str | None = None, department: str | None = None, limit: int = 100) -> dict[str, Any]:
    """`{"alerts": [...]}` newest data first; `since` is a length of data time (30d) or a date."""
    if status is not None and status not in ALERT_STATUSES:
        raise UsageError(f"--status {status!r}: use one of {', '.join(ALERT_STATUSES)}", field="status")
    preds: list[str] = []
    params: list[Any] = []
    for column, value in (("s.status", status), ("a.rule", rule), ("a.product", product),
                          ("a.department", department)):
        if value is not None:
            preds.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        preds.append("a.occurred_at >= ?")
        params.append(_since(ws, since))
    where = f" WHERE {' AND '.join(preds)}" if preds else ""
    result = ws.con.execute(f"{_CURRENT}{where} ORDER BY a.occurred_at DESC, a.alert_id LIMIT ?", [*params, limit])
    names = [d[0] for d in result.description]
    out = []
    for row in result.fetchall():
        item = dict(zip(names, row, strict=True))
        item["details"] = json.loads(item["details"]) if item.get("details") else {}
        out.append({**{k: item[k] for k in ALERT_FIELDS}, "title": item["title"], "message": item["message"],
                    "department": item["department"], "hold_id": item["hold_id"], "case_id": item["case_id"],
                    "details": item["details"]})
    return {"alerts": out}


def _since(ws: Workspace, since: str) -> datetime:
    text = since.strip().lower()
    if text.endswith("d") and text[:-1].isdigit():
        clock = data_state(ws).clock or utc_now()
        return clock - timedelta(days=int(text[:-1]))
    try:
        return datetime.fromisoformat(since)
    except ValueError as exc:
        raise UsageError(f"--since {since!r}: use a length in days (30d) or a date (2026-10-01)",
                         field="since") from exc


def _set_status(ws: Workspace, alert_id: str, status: str, actor: str, note: str | None) -> dict[str, Any]:
    with transaction(ws.con):
        rows = ws.con.execute(f"{_CURRENT} WHERE a.alert_id = ?", [alert_id]).fetchall()
        if not rows:
            raise NotFound(f"alert {alert_id!r} not found", field="alert_id")
        current = rows[0][-1]
        if current == "closed" or current == status:
            raise Conflict(f"alert {alert_id} is already {current}", field="alert_id")
        ws.con.execute("INSERT INTO alert_events VALUES (?, ?, nextval('loop_event_seq'), ?, ?, ?)",
                       [alert_id, utc_now(), actor, status, note])
    return _one(ws, alert_id)


def _one(ws: Workspace, alert_id: str) -> dict[str, Any]:
    result = ws.con.execute(f"{_CURRENT} WHERE a.alert_id = ?", [alert_id])
    names = [d[0] for d in result.description]
    item = dict(zip(names, result.fetchall()[0], strict=True))
    return {k: item[k] for k in ALERT_FIELDS}


def ack_alert(ws: Workspace, alert_id: str, *, actor: str, note: str | None = None) -> dict[str, Any]:
    """Someone has seen the alert and owns it."""
    return _set_status(ws, alert_id, "acked", actor, note)


def close_alert(ws: Workspace, alert_id: str, *, actor: str, note: str | None = None) -> dict[str, Any]:
    return _set_status(ws, alert_id, "closed", actor, note)
