"""The case workflow (the inner loop): statuses, allowed moves, what closing requires, SLA deadlines.

    new -> in_progress -> waiting_customer -> resolved -> closed
    (any open status may go to resolved or closed; resolved and closed may be reopened)

A case's history is a list of states: every change appends the full state after it with who changed
what; nothing is updated in place. Closing needs a root-cause department and a resolution code, because
most CX problems are caused behind the front line and the loop is only closed when the cause is known.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cxloop.errors import UsageError

__all__ = [
    "CASE_ORIGINS",
    "CASE_STATUSES",
    "MOVES",
    "OPEN_STATUSES",
    "CaseState",
    "check_move",
    "due_at",
    "moved",
]

CASE_STATUSES = ("new", "in_progress", "waiting_customer", "resolved", "closed", "reopened")
OPEN_STATUSES = ("new", "in_progress", "waiting_customer", "reopened")
CASE_ORIGINS = ("alert", "andon", "repeat_contact", "detractor", "complaint", "manual")
MOVES: dict[str, tuple[str, ...]] = {
    "new": ("in_progress", "waiting_customer", "resolved", "closed"),
    "in_progress": ("waiting_customer", "resolved", "closed"),
    "waiting_customer": ("in_progress", "resolved", "closed"),
    "resolved": ("closed", "reopened"),
    "closed": ("reopened",),
    "reopened": ("in_progress", "waiting_customer", "resolved", "closed"),
}


@dataclass(frozen=True)
class CaseState:
    status: str
    priority: str
    owner: str | None = None
    team: str | None = None
    department: str | None = None
    due_at: datetime | None = None
    root_cause_department: str | None = None
    resolution_code: str | None = None


def due_at(opened_at: datetime, priority: str, sla_hours: dict[str, float]) -> datetime:
    """The SLA deadline: opening time plus the priority's hours."""
    if priority not in sla_hours:
        raise UsageError(f"priority {priority!r} is not one of: {', '.join(sla_hours)}", field="priority")
    return opened_at + timedelta(hours=sla_hours[priority])


def check_move(current: str, target: str) -> None:
    """Raise a usage error naming the allowed moves when `current -> target` is not one."""
    if target not in CASE_STATUSES:
        raise UsageError(f"unknown status {target!r}; statuses are: {', '.join(CASE_STATUSES)}", field="status")
    allowed = MOVES.get(current, ())
    if target not in allowed:
        raise UsageError(
            f"a case in status {current!r} cannot move to {target!r}; allowed: {', '.join(allowed) or 'none'}",
            field="status",
        )


def moved(state: CaseState, target: str, *, root_cause_department: str | None = None,
          resolution_code: str | None = None, resolution_codes: tuple[str, ...] = ()) -> CaseState:
    """The state after moving to `target` (closing checks its two required fields)."""
    check_move(state.status, target)
    if target == "closed":
        missing = [n for n, v in (("root_cause_department", root_cause_department),
                                  ("resolution_code", resolution_code)) if not v]
        if missing:
            raise UsageError(f"closing a case requires {' and '.join(missing)} "
                             "(--root-cause DEPT --resolution CODE)", field=missing[0])
        if resolution_codes and resolution_code not in resolution_codes:
            raise UsageError(f"resolution code {resolution_code!r} is not one of: {', '.join(resolution_codes)}",
                             field="resolution_code")
        return replace(state, status=target, root_cause_department=root_cause_department,
                       resolution_code=resolution_code)
    if target == "reopened":
        return replace(state, status=target, root_cause_department=None, resolution_code=None)
    return replace(state, status=target)
