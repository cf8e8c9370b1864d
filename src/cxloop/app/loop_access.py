"""Alerts, Andon holds and cases as a principal may see and change them.

The inner-loop services (`alerts_service`, `andon_service`, `cases_service`) know nothing of users; this
module adds what the API (and `CXLOOP_USER` at the CLI) needs: the right (`loop.read`, `loop.write`),
department scoping (a department's user sees and changes the alerts and cases of their department only;
holds stop a product and are shown to every reader), PII masking of titles, messages and notes, the
acting user as the actor of every change, and the audit log.
"""

from __future__ import annotations

from typing import Any

from cxloop.access import Permission
from cxloop.app.access import mask_rows
from cxloop.app.alerts_service import ack_alert, close_alert, list_alerts
from cxloop.app.andon_service import list_holds, release_hold
from cxloop.app.audit_service import record
from cxloop.app.cases_service import (
    CaseChange,
    assign_case,
    close_case,
    create_case,
    list_cases,
    move_case,
    note_case,
    show_case,
)
from cxloop.app.workspace import Workspace
from cxloop.errors import NotFound

__all__ = ["alerts", "case", "case_change", "cases", "holds", "open_case", "release", "set_alert"]

_ALERT_TEXTS = ("title", "message", "details")
_CASE_TEXTS = ("title", "note", "history")


def _department(ws: Workspace, asked: str | None) -> str | None:
    """The department filter: the user's own when they are scoped to one (whatever they asked)."""
    return ws.principal.scope.department or asked


def alerts(ws: Workspace, *, status: str | None = None, rule: str | None = None, since: str | None = None,
           product: str | None = None, department: str | None = None, limit: int = 100) -> dict[str, Any]:
    ws.principal.require(Permission.loop_read)
    found = list_alerts(ws, status=status, rule=rule, since=since, product=product,
                        department=_department(ws, department), limit=limit)
    return {"alerts": mask_rows(ws, found["alerts"], texts=_ALERT_TEXTS, what="alerts")}


def _visible_alert(ws: Workspace, alert_id: str) -> None:
    dept = ws.principal.scope.department
    if dept is None:
        return
    row = ws.con.execute("SELECT department FROM alerts WHERE alert_id = ?", [alert_id]).fetchall()
    if not row or row[0][0] != dept:
        raise NotFound(f"alert {alert_id!r} not found", field="alert_id")


def set_alert(ws: Workspace, alert_id: str, status: str, *, note: str | None = None) -> dict[str, Any]:
    """Acknowledge (`acked`) or close (`closed`) an alert as the acting user."""
    ws.principal.require(Permission.loop_write)
    _visible_alert(ws, alert_id)
    change = ack_alert if status == "acked" else close_alert
    out = change(ws, alert_id, actor=ws.principal.name, note=note)
    record(ws, f"alerts.{status}", target=alert_id)
    return out


def holds(ws: Workspace, *, status: str | None = None, product: str | None = None) -> dict[str, Any]:
    ws.principal.require(Permission.loop_read)
    return {"holds": mask_rows(ws, list_holds(ws, status=status, product=product)["holds"],
                               texts=("reason", "issue"), what="holds")}


def release(ws: Workspace, hold_id: str, *, reason: str, initiative_id: str | None = None) -> dict[str, Any]:
    ws.principal.require(Permission.loop_write)
    out = release_hold(ws, hold_id, reason=reason, actor=ws.principal.name, initiative_id=initiative_id)
    record(ws, "holds.release", target=hold_id, detail={"initiative_id": initiative_id})
    return out


def cases(ws: Workspace, *, status: str | None = None, origin: str | None = None, owner: str | None = None,
          department: str | None = None, customer_id: str | None = None, product: str | None = None,
          limit: int = 100) -> dict[str, Any]:
    ws.principal.require(Permission.loop_read)
    found = list_cases(ws, status=status, origin=origin, owner=owner, department=_department(ws, department),
                       customer_id=customer_id, product=product, limit=limit)
    return {"cases": mask_rows(ws, found["cases"], texts=_CASE_TEXTS, what="cases")}


def case(ws: Workspace, case_id: str) -> dict[str, Any]:
    """One case with its records and history; NotFound outside the user's department."""
    ws.principal.require(Permission.loop_read)
    shown = show_case(ws, case_id)
    dept = ws.principal.scope.department
    if dept is not None and shown.get("department") != dept:
        raise NotFound(f"case {case_id!r} not found", field="case_id")
    return mask_rows(ws, [shown], texts=_CASE_TEXTS, what=f"case {case_id}")[0]


def open_case(ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    """Open a case by hand as the acting user (a department's user opens it for their department)."""
    ws.principal.require(Permission.loop_write)
    fields = {k: v for k, v in data.items() if v is not None}
    if ws.principal.scope.department:
        fields["department"] = ws.principal.scope.department
    fields["records"] = tuple(fields.get("records") or ())
    out = create_case(ws, CaseChange(**fields), actor=ws.principal.name)
    record(ws, "cases.open", target=out["case_id"])
    return case(ws, out["case_id"])


def case_change(ws: Workspace, case_id: str, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """assign | move | close | note a case the user may see, as the acting user."""
    ws.principal.require(Permission.loop_write)
    case(ws, case_id)  # NotFound outside the user's department
    actor = ws.principal.name
    if action == "assign":
        assign_case(ws, case_id, owner=data.get("owner"), team=data.get("team"),
                    department=data.get("department"), actor=actor)
    elif action == "move":
        move_case(ws, case_id, data["status"], actor=actor, note=data.get("note"),
                  root_cause_department=data.get("root_cause_department"), resolution_code=data.get("resolution_code"))
    elif action == "close":
        close_case(ws, case_id, root_cause_department=data.get("root_cause_department"),
                   resolution_code=data.get("resolution_code"), actor=actor, note=data.get("note"))
    else:
        note_case(ws, case_id, data.get("note") or "", actor=actor)
    record(ws, f"cases.{action}", target=case_id)
    return case(ws, case_id)
