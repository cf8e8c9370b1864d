"""Cases on a workspace: opened by rules or by hand, moved through the workflow, closed with a root cause.

The workflow rules live in `cxloop.loop.cases`; this module stores them. A case's state is its latest
`case_events` row (each change appends the whole state, with actor and change); nothing is updated.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from cxloop.app.alert_rules import RuleContext
from cxloop.app.clock import utc_now
from cxloop.app.lake import require_local
from cxloop.app.workspace import Workspace
from cxloop.errors import NotFound, UsageError
from cxloop.loop.alerts import AlertDraft, CaseDraft
from cxloop.loop.cases import CASE_STATUSES, OPEN_STATUSES, CaseState, due_at, moved
from cxloop.loop.messages import render
from cxloop.loop.repeat import repeat_problems
from cxloop.settings.alerts import PRIORITIES, RepeatContactRule, SlaRule
from cxloop.store import transaction

__all__ = [
    "CASE_FIELDS",
    "CaseChange",
    "assign_case",
    "close_case",
    "create_case",
    "list_cases",
    "move_case",
    "note_case",
    "open_cases",
    "repeat_contact_drafts",
    "show_case",
    "sla_drafts",
]

CASE_FIELDS = ("case_id", "title", "customer_id", "product", "status", "priority", "owner", "department",
               "origin", "opened_at", "due_at")
_STATE = ("status", "priority", "owner", "team", "department", "due_at", "root_cause_department",
          "resolution_code")
_CURRENT = (
    "SELECT c.case_id, c.title, c.customer_id, c.product, c.origin, c.origin_ref, c.opened_at, c.created_at, "
    "e.status, e.priority, e.owner, e.team, e.department, e.due_at, e.root_cause_department, e.resolution_code "
    "FROM cases c JOIN (SELECT * FROM case_events QUALIFY row_number() OVER (PARTITION BY case_id ORDER BY seq DESC) "
    "= 1) e USING (case_id)"
)


def _rows(ws: Workspace, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    result = ws.con.execute(sql, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


def _append(ws: Workspace, case_id: str, state: CaseState, actor: str, change: str, note: str | None,
            now: datetime) -> None:
    ws.con.execute(
        "INSERT INTO case_events VALUES (?, nextval('loop_event_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [case_id, now, actor, change, state.status, state.priority, state.owner, state.team, state.department,
         state.due_at, state.root_cause_department, state.resolution_code, note],
    )


def open_cases(ws: Workspace, drafts: list[CaseDraft], *, actor: str, now: datetime) -> list[str]:
    """Store new cases (inside the caller's transaction); drafts whose id exists are skipped."""
    if not drafts:
        return []
    unique = {d.case_id: d for d in drafts}
    ids = list(unique)
    existing = {r[0] for r in ws.con.execute("SELECT case_id FROM cases WHERE list_contains(?, case_id)",
                                             [ids]).fetchall()}
    opened = []
    sla = ws.settings.cases.sla_hours
    for case_id, d in unique.items():
        if case_id in existing:
            continue
        ws.con.execute("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [case_id, d.dedupe_key, d.title, d.customer_id, d.product, d.origin, d.origin_ref,
                        d.opened_at, now])
        if d.records:
            ws.con.execute("INSERT INTO case_records SELECT ?, unnest(?)", [case_id, sorted(set(d.records))])
        state = CaseState("new", d.priority, department=d.department,
                          due_at=due_at(d.opened_at, d.priority, dict(sla)))
        _append(ws, case_id, state, actor, f"opened ({d.origin})", None, now)
        opened.append(case_id)
    return opened


def _state(ws: Workspace, case_id: str) -> dict[str, Any]:
    rows = _rows(ws, f"{_CURRENT} WHERE c.case_id = ?", [case_id])
    if not rows:
        raise NotFound(f"case {case_id!r} not found", field="case_id")
    return rows[0]


def _case_state(row: dict[str, Any]) -> CaseState:
    return CaseState(**{k: row[k] for k in _STATE})


@dataclass(frozen=True)
class CaseChange:
    """A manual case: what a person opens by hand (records and customer optional)."""

    title: str
    customer_id: str | None = None
    product: str | None = None
    priority: str = "normal"
    owner: str | None = None
    team: str | None = None
    department: str | None = None
    records: tuple[str, ...] = ()
    origin: str = "manual"
    origin_ref: str | None = None


def _from_origin(ws: Workspace, change: CaseChange) -> CaseChange:
    """Fill what the change leaves empty from the alert or record it is opened from."""
    if change.origin == "alert" and change.origin_ref:
        rows = _rows(ws, "SELECT title, product, department, records FROM alerts WHERE alert_id = ?",
                     [change.origin_ref])
        if not rows:
            raise NotFound(f"alert {change.origin_ref!r} not found", field="alert_id")
        a = rows[0]
        records = tuple(change.records or a["records"] or ())
        customer = change.customer_id or next(iter(r[0] for r in ws.con.execute(
            "SELECT customer_id FROM records WHERE list_contains(?, record_id) AND customer_id IS NOT NULL LIMIT 1",
            [list(records)]).fetchall()), None)
        return replace(change, title=change.title or a["title"], product=change.product or a["product"],
                       department=change.department or a["department"], records=records, customer_id=customer)
    if change.origin == "complaint" and change.origin_ref:
        rows = _rows(ws, "SELECT text, product, customer_id FROM records WHERE record_id = ?", [change.origin_ref])
        if not rows:
            raise NotFound(f"record {change.origin_ref!r} not found", field="record_id")
        r = rows[0]
        return replace(change, title=change.title or (r["text"] or change.origin_ref)[:80],
                       product=change.product or r["product"], customer_id=change.customer_id or r["customer_id"],
                       records=change.records or (change.origin_ref,))
    return change


def create_case(ws: Workspace, change: CaseChange, *, actor: str, now: datetime | None = None) -> dict[str, Any]:
    """Open a case by hand, or from an alert (origin `alert`) or a complaint record (origin `complaint`):
    the alert's or record's title, product, customer and records fill what the change leaves empty."""
    now = now or utc_now()
    if change.records or change.origin_ref:
        require_local(ws, "opening a case on records")
    change = _from_origin(ws, change)
    if not change.title.strip():
        raise UsageError("a case needs a title", field="title")
    if change.priority not in PRIORITIES:
        raise UsageError(f"priority {change.priority!r} is not one of: {', '.join(PRIORITIES)}", field="priority")
    known = {r[0] for r in ws.con.execute("SELECT record_id FROM records WHERE list_contains(?, record_id)",
                                          [list(change.records)]).fetchall()} if change.records else set()
    missing = [r for r in change.records if r not in known]
    if missing:
        raise NotFound(f"record(s) not found: {', '.join(missing)}", field="records")
    draft = CaseDraft(f"manual|{secrets.token_hex(8)}", change.title.strip(), change.origin, now, change.priority,
                      customer_id=change.customer_id, product=change.product, department=change.department,
                      origin_ref=change.origin_ref, records=list(change.records))
    with transaction(ws.con):
        open_cases(ws, [draft], actor=actor, now=now)
        if change.owner or change.team:
            row = _state(ws, draft.case_id)
            state = CaseState(**{**asdict(_case_state(row)), "owner": change.owner, "team": change.team})
            _append(ws, draft.case_id, state, actor, f"assigned to {change.owner or '-'} / {change.team or '-'}",
                    None, now)
    return show_case(ws, draft.case_id)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {**{k: row.get(k) for k in CASE_FIELDS}, "team": row.get("team"),
            "root_cause_department": row.get("root_cause_department"), "resolution_code": row.get("resolution_code"),
            "origin_ref": row.get("origin_ref")}


def list_cases(ws: Workspace, *, status: str | None = None, origin: str | None = None, owner: str | None = None,
               department: str | None = None, customer_id: str | None = None, product: str | None = None,
               limit: int = 100) -> dict[str, Any]:
    """`{"cases": [{case_id, title, customer_id, product, status, priority, owner, department, origin,
    opened_at, due_at, ...}]}`, most recently opened first."""
    if status is not None and status not in (*CASE_STATUSES, "open"):
        raise UsageError(f"--status {status!r}: use one of {', '.join(CASE_STATUSES)} or open", field="status")
    preds: list[str] = []
    params: list[Any] = []
    if status == "open":
        preds.append("list_contains(?, e.status)")
        params.append(list(OPEN_STATUSES))
    elif status:
        preds.append("e.status = ?")
        params.append(status)
    for column, value in (("c.origin", origin), ("e.owner", owner), ("e.department", department),
                          ("c.customer_id", customer_id), ("c.product", product)):
        if value is not None:
            preds.append(f"{column} = ?")
            params.append(value)
    where = f" WHERE {' AND '.join(preds)}" if preds else ""
    rows = _rows(ws, f"{_CURRENT}{where} ORDER BY c.opened_at DESC, c.case_id LIMIT ?", [*params, limit])
    return {"cases": [_public(r) for r in rows]}


def show_case(ws: Workspace, case_id: str) -> dict[str, Any]:
    """The case with its records and `history: [{at, actor, change, status, note}]`."""
    row = _state(ws, case_id)
    records = [r[0] for r in ws.con.execute(
        "SELECT record_id FROM case_records WHERE case_id = ? ORDER BY record_id", [case_id]).fetchall()]
    history = _rows(ws, "SELECT changed_at AS \"at\", actor, change, status, note FROM case_events "
                        "WHERE case_id = ? ORDER BY seq", [case_id])
    return {**_public(row), "records": records, "history": history}


def _change(ws: Workspace, case_id: str, actor: str, now: datetime | None, make: Any) -> dict[str, Any]:
    now = now or utc_now()
    with transaction(ws.con):
        row = _state(ws, case_id)
        state, change, note = make(_case_state(row))
        _append(ws, case_id, state, actor, change, note, now)
    return show_case(ws, case_id)


def assign_case(ws: Workspace, case_id: str, *, owner: str | None, team: str | None = None,
                department: str | None = None, actor: str, now: datetime | None = None) -> dict[str, Any]:
    if not (owner or team or department):
        raise UsageError("assign needs --owner, --team or --department", field="owner")

    def make(s: CaseState) -> tuple[CaseState, str, None]:
        new = CaseState(**{**asdict(s), **{k: v for k, v in (("owner", owner), ("team", team),
                                                             ("department", department)) if v}})
        parts = [f"{k} {getattr(s, k) or '-'} -> {getattr(new, k)}" for k in ("owner", "team", "department")
                 if getattr(new, k) != getattr(s, k)]
        return new, "; ".join(parts) or "assigned (no change)", None

    return _change(ws, case_id, actor, now, make)


def move_case(ws: Workspace, case_id: str, status: str, *, actor: str, note: str | None = None,
              root_cause_department: str | None = None, resolution_code: str | None = None,
              now: datetime | None = None) -> dict[str, Any]:
    codes = tuple(ws.settings.cases.resolution_codes)

    def make(s: CaseState) -> tuple[CaseState, str, str | None]:
        new = moved(s, status, root_cause_department=root_cause_department, resolution_code=resolution_code,
                    resolution_codes=codes)
        extra = f" (root cause {root_cause_department}, {resolution_code})" if status == "closed" else ""
        return new, f"status {s.status} -> {status}{extra}", note

    return _change(ws, case_id, actor, now, make)


def close_case(ws: Workspace, case_id: str, *, root_cause_department: str | None, resolution_code: str | None,
               actor: str, note: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    return move_case(ws, case_id, "closed", actor=actor, note=note, root_cause_department=root_cause_department,
                     resolution_code=resolution_code, now=now)


def note_case(ws: Workspace, case_id: str, note: str, *, actor: str, now: datetime | None = None) -> dict[str, Any]:
    if not note.strip():
        raise UsageError("a note needs text", field="note")
    return _change(ws, case_id, actor, now, lambda s: (s, "note", note))


# -- rules that open cases ------------------------------------------------------------------------
def repeat_contact_drafts(ctx: RuleContext, rule: RepeatContactRule) -> list[AlertDraft]:
    """Customers with `rule.contacts` contacts about one problem within `rule.days` (see loop.repeat)."""
    from cxloop.app.journeys_service import journey_config

    kinds = journey_config(ctx.ws).non_contact_kinds or [""]
    pred, params = ctx.changed_sql()
    contacts = ctx.ws.con.execute(
        "WITH touched AS (SELECT DISTINCT r.customer_id FROM records r "
        f"WHERE r.customer_id IS NOT NULL AND {pred}) "
        "SELECT r.record_id, r.customer_id, r.occurred_at, r.case_id, e.topic_id, r.product, "
        f"{pred} AS evaluate FROM records r JOIN touched USING (customer_id) "
        "LEFT JOIN enrichments e USING (record_id) WHERE NOT list_contains(?, coalesce(r.kind, ''))",
        [*params, *params, list(kinds)],
    ).df()
    found = repeat_problems(contacts, min_contacts=rule.contacts, days=rule.days)
    done = _cases_sharing_records(ctx.ws, [p.records for p in found])
    out = []
    for p in found:
        if done.intersection(p.records):
            continue
        title, message = render("repeat_contact", ctx.language, customer=p.customer_id, days=rule.days,
                                contacts=len(p.records), anchor=p.anchor)
        at = p.at.to_pydatetime()
        draft = AlertDraft(rule.name, "repeat_contact", rule.severity, f"{p.customer_id}|{p.anchor}", title, message,
                           at, product=p.product, topic=p.topic, department=ctx.department(p.topic, rule.department),
                           customers=1, records=p.records, sinks=list(rule.sinks))
        if rule.open_case:
            draft.cases.append(CaseDraft(f"repeat_contact|{p.customer_id}|{p.anchor}", title, "repeat_contact", at,
                                         rule.case_priority, customer_id=p.customer_id, product=p.product,
                                         department=draft.department, origin_ref=draft.alert_id, records=p.records))
        out.append(draft)
    return out


def _cases_sharing_records(ws: Workspace, groups: list[list[str]]) -> set[str]:
    """Records of the candidates already in a repeat-contact case (a problem gets its case once)."""
    ids = sorted({r for g in groups for r in g})
    if not ids:
        return set()
    rows = ws.con.execute(
        "SELECT cr.record_id FROM case_records cr JOIN cases c USING (case_id) "
        "WHERE c.origin = 'repeat_contact' AND list_contains(?, cr.record_id)", [ids]).fetchall()
    return {r[0] for r in rows}


def sla_drafts(ctx: RuleContext, rule: SlaRule) -> list[AlertDraft]:
    """Open cases whose deadline lies before the data clock (cases opened earlier in this run included)."""
    clock = ctx.upto.clock
    if clock is None:
        return []
    rows = _rows(ctx.ws, f"{_CURRENT} WHERE list_contains(?, e.status) AND e.due_at < ?", [list(OPEN_STATUSES), clock])
    out = []
    for r in rows:
        title, message = render("sla", ctx.language, case_id=r["case_id"], title=r["title"], priority=r["priority"],
                                due_at=r["due_at"], status=r["status"])
        out.append(AlertDraft(rule.name, "sla", rule.severity, f"{r['case_id']}|{r['due_at'].isoformat()}", title,
                              message, r["due_at"], product=r["product"], department=r["department"] or rule.department,
                              customers=1 if r["customer_id"] else 0, details={"case_id": r["case_id"]},
                              sinks=list(rule.sinks)))
    return out
