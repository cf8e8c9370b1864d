"""Initiatives, cards, stars, integrity flags and the KPI tree as a principal may see and change them.

The services of docs/loop_manage.md (`initiatives_service`, `cards_service`, `stars_service`,
`integrity_service`, `kpis_service`) know nothing of users; this module adds what the API (and
`CXLOOP_USER` at the CLI) needs, as `loop_access` does for alerts and cases:

- the rights `manage.read` and `manage.write`;
- department scoping: a department's user sees the initiatives their department owns or takes part in,
  the cards of the teams working on their department's records, the integrity flags of those agents and
  teams; stars and the KPI tree are measured over their rows only (the scoped engine does that); the
  workspace-wide runs (cards, integrity) replace everyone's results and are refused to them;
- PII masking of titles, objectives, reasons and evidence texts; the acting user as the actor of every
  change; the audit log;
- keyset pages (`limit`, `cursor`) over the stored lists.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from cxloop.access import Permission
from cxloop.app import cards_service, initiatives_service, integrity_service, kpis_service, stars_service
from cxloop.app.access import mask_rows, scoped_sql
from cxloop.app.audit_service import record
from cxloop.app.loop_access import case as visible_case
from cxloop.app.workspace import Workspace
from cxloop.errors import Forbidden, NotFound, UsageError

__all__ = [
    "add_key_result", "cards", "close_initiative", "create_initiative", "initiative", "initiatives",
    "integrity_flags", "kpi_tree", "link_initiative", "page", "progress", "run_cards", "run_integrity", "stars",
    "update_initiative",
]

_INIT_TEXTS = ("title", "objective", "painpoint", "close_reason")
_EVIDENCE = ("evidence",)


def _actor(ws: Workspace, actor: str | None) -> str:
    """Who a change is recorded as: the acting user; the CLI's owner may name themselves (`actor`)."""
    return actor if actor and ws.principal.is_owner else ws.principal.name


# -- pages ---------------------------------------------------------------------------------------------
def _encode(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), default=str).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise UsageError(f"cursor {cursor[:40]!r} is not a cursor of this list", field="cursor") from exc
    if not isinstance(key, list):
        raise UsageError(f"cursor {cursor[:40]!r} is not a cursor of this list", field="cursor")
    return key


def page(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[str, ...]], *, limit: int | None,
         cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A keyset page of `rows` in the order of `key` (a tuple of strings, unique per row): the rows after
    the cursor's key, and the cursor of the last one when more follow (`limit` None: all of them)."""
    ordered = sorted(rows, key=key)
    if cursor:
        after = tuple(str(v) for v in _decode(cursor))
        ordered = [r for r in ordered if key(r) > after]
    if limit is None:
        return ordered, None
    shown = ordered[:limit]
    return shown, _encode(key(shown[-1])) if len(ordered) > limit else None


# -- scope ---------------------------------------------------------------------------------------------
def _visible_ids(ws: Workspace) -> set[str] | None:
    """The initiatives a department's user may see (None: all): owned by or involving their department."""
    dept = ws.principal.scope.department
    if dept is None:
        return None
    rows = ws.con.execute("SELECT initiative_id FROM initiatives WHERE owner_department = ? "
                          "OR list_contains(departments, ?)", [dept, dept]).fetchall()
    return {r[0] for r in rows}


def _require_visible(ws: Workspace, initiative_id: str) -> None:
    seen = _visible_ids(ws)
    if seen is not None and initiative_id not in seen:
        raise NotFound(f"initiative {initiative_id!r} not found", field="initiative_id")


def _scope_units(ws: Workspace) -> tuple[set[str], set[str]] | None:
    """The teams and agents on the records a department's user sees (None: no narrowing); the department
    itself counts as a team (Andon incidents name the root-cause department)."""
    scope = ws.principal.scope
    if not scope.narrowed:
        return None
    rows = ws.con.execute(f"SELECT DISTINCT team, agent_id FROM {scoped_sql(ws, 'records')} r "
                          "WHERE team IS NOT NULL OR agent_id IS NOT NULL").fetchall()
    teams = {r[0] for r in rows if r[0] is not None} | ({scope.department} if scope.department else set())
    return teams, {r[1] for r in rows if r[1] is not None}


def _whole_workspace(ws: Workspace, what: str) -> None:
    if ws.principal.scope.narrowed:
        raise Forbidden(f"{what} covers every team and replaces everyone's results: a user scoped to a department "
                        f"or partner may not run it (ask an admin) (部门用户无权运行全局计算)")


# -- initiatives ---------------------------------------------------------------------------------------
def _masked_init(ws: Workspace, init: dict[str, Any]) -> dict[str, Any]:
    return mask_rows(ws, [init], texts=_INIT_TEXTS, what=f"initiative {init['initiative_id']}")[0]


def initiatives(ws: Workspace, *, status: str | None = None, limit: int | None = 100, cursor: str | None = None
                ) -> dict[str, Any]:
    """`{"initiatives": [...], "next_cursor"}` in id order."""
    ws.principal.require(Permission.manage_read)
    found = initiatives_service.list_initiatives(ws, status=status)["initiatives"]
    seen = _visible_ids(ws)
    rows = [i for i in found if seen is None or i["initiative_id"] in seen]
    shown, nxt = page(rows, lambda r: (r["initiative_id"],), limit=limit, cursor=cursor)
    return {"initiatives": mask_rows(ws, shown, texts=("title",), what="initiatives"), "next_cursor": nxt}


def create_initiative(ws: Workspace, data: dict[str, Any], *, actor: str | None = None) -> dict[str, Any]:
    """Create an initiative (by hand or `from_painpoint`); a department's user creates it for their
    department (it owns it)."""
    ws.principal.require(Permission.manage_write)
    fields = {k: v for k, v in data.items() if v is not None}
    if ws.principal.scope.department:
        fields["owner_department"] = ws.principal.scope.department
    out = initiatives_service.create_initiative(ws, **fields, actor=_actor(ws, actor))
    record(ws, "initiatives.create", target=out["initiative_id"],
           detail={"from_painpoint": fields.get("from_painpoint")})
    return _masked_init(ws, out)


def initiative(ws: Workspace, initiative_id: str, *, month: str | None = None,
               exclude_flagged: bool | None = None) -> dict[str, Any]:
    """One initiative measured (`initiatives show`); NotFound outside the user's department."""
    ws.principal.require(Permission.manage_read)
    _require_visible(ws, initiative_id)
    shown = initiatives_service.show_initiative(ws, initiative_id, month=month, exclude_flagged=exclude_flagged)
    return _masked_init(ws, shown)


def add_key_result(ws: Workspace, initiative_id: str, data: dict[str, Any], *, actor: str | None = None
                   ) -> dict[str, Any]:
    ws.principal.require(Permission.manage_write)
    _require_visible(ws, initiative_id)
    out = initiatives_service.add_key_result(ws, initiative_id, **data, actor=_actor(ws, actor))
    record(ws, "initiatives.kr_add", target=initiative_id, detail={"kr_id": out["kr_id"], "metric": out["metric"]})
    return out


def progress(ws: Workspace, initiative_id: str | None = None, *, month: str | None = None,
             exclude_flagged: bool | None = None) -> dict[str, Any]:
    """The monthly summary of one initiative, or of every open one the user may see."""
    ws.principal.require(Permission.manage_read)
    if initiative_id is not None:
        _require_visible(ws, initiative_id)
    out = initiatives_service.initiative_progress(ws, initiative_id, month=month, exclude_flagged=exclude_flagged)
    seen = _visible_ids(ws)
    if seen is not None:
        out["initiatives"] = [i for i in out["initiatives"] if i["initiative_id"] in seen]
        out["excluded_flagged"] = sum(i["excluded_flagged"] for i in out["initiatives"])
    out["initiatives"] = mask_rows(ws, out["initiatives"], texts=("title",), what="initiatives")
    return out


def update_initiative(ws: Workspace, initiative_id: str, *, status: str | None = None,
                      change_date: str | None = None, actor: str | None = None) -> dict[str, Any]:
    ws.principal.require(Permission.manage_write)
    _require_visible(ws, initiative_id)
    out = initiatives_service.update_initiative(ws, initiative_id, status=status, change_date=change_date,
                                                actor=_actor(ws, actor))
    record(ws, "initiatives.update", target=initiative_id, detail={"status": status, "change_date": change_date})
    return _masked_init(ws, out)


def link_initiative(ws: Workspace, initiative_id: str, *, holds: list[str] | None = None,
                    cases: list[str] | None = None, actor: str | None = None) -> dict[str, Any]:
    """Link holds and cases; a department's user links only cases they may see."""
    ws.principal.require(Permission.manage_write)
    _require_visible(ws, initiative_id)
    for case_id in cases or []:
        visible_case(ws, case_id)  # NotFound for a case of another department (or none)
    known = {r[0] for r in ws.con.execute("SELECT hold_id FROM holds").fetchall()}
    missing = [h for h in holds or [] if h not in known]
    if missing:
        raise NotFound(f"hold {missing[0]!r} not found; list them with 'cxloop holds list'", field="holds")
    out = initiatives_service.link_initiative(ws, initiative_id, holds=holds, cases=cases, actor=_actor(ws, actor))
    record(ws, "initiatives.link", target=initiative_id, detail={"holds": holds or [], "cases": cases or []})
    return _masked_init(ws, out)


def close_initiative(ws: Workspace, initiative_id: str, *, status: str = "done", reason: str | None = None,
                     actor: str | None = None) -> dict[str, Any]:
    """Close as done (its linked holds are released) or dropped."""
    ws.principal.require(Permission.manage_write)
    _require_visible(ws, initiative_id)
    out = initiatives_service.close_initiative(ws, initiative_id, status=status, reason=reason,
                                               actor=_actor(ws, actor))
    record(ws, "initiatives.close", target=initiative_id,
           detail={"status": status, "released_holds": out["released_holds"]})
    return _masked_init(ws, out)


# -- cards, stars, integrity, KPIs ---------------------------------------------------------------------
def run_cards(ws: Workspace, *, month: str) -> dict[str, Any]:
    """The month's cards over the whole workspace (refused to a scoped user: it replaces every team's)."""
    ws.principal.require(Permission.manage_write)
    _whole_workspace(ws, "a cards run")
    out = cards_service.run_cards(ws, month=month)
    record(ws, "cards.run", target=out["month"], detail={"run_id": out["run_id"], "cards": len(out["cards"])})
    out["cards"] = mask_rows(ws, out["cards"], texts=_EVIDENCE, what="cards")
    return out


def cards(ws: Workspace, *, team: str | None = None, month: str | None = None, limit: int | None = 100,
          cursor: str | None = None) -> dict[str, Any]:
    """`{"cards": [...], "next_cursor"}` by month and team; a department's user sees their teams' cards."""
    ws.principal.require(Permission.manage_read)
    found = cards_service.list_cards(ws, team=team, month=month)["cards"]
    units = _scope_units(ws)
    rows = [c for c in found if units is None or c["team"] in units[0]]
    shown, nxt = page(rows, lambda r: (r["month"], r["team"], r["card_id"]), limit=limit, cursor=cursor)
    return {"cards": mask_rows(ws, shown, texts=_EVIDENCE, what="cards"), "next_cursor": nxt}


def stars(ws: Workspace, *, month: str, level: str = "agent", metric: str | None = None,
          exclude_flagged: bool | None = None) -> dict[str, Any]:
    """The monthly CX stars, ranked over the responses the user may see."""
    ws.principal.require(Permission.manage_read)
    out = stars_service.compute_stars(ws, month=month, level=level, metric=metric, exclude_flagged=exclude_flagged)
    units = _scope_units(ws)
    if units is not None:  # flagged agents are listed from the stored flags: keep the user's own only
        key, known = ("agent_id", units[1]) if level == "agent" else ("team", units[0])
        out["stars"] = [s for s in out["stars"] if s[key] in known]
    return out


def run_integrity(ws: Workspace) -> dict[str, Any]:
    """Run every integrity check over the whole workspace (refused to a scoped user)."""
    ws.principal.require(Permission.manage_write)
    _whole_workspace(ws, "an integrity run")
    out = integrity_service.run_integrity(ws)
    record(ws, "integrity.run", target=out["run_id"], detail={"flags": out["flags"]})
    return out


def integrity_flags(ws: Workspace, *, kind: str | None = None, agent_id: str | None = None,
                    month: str | None = None, limit: int | None = 100, cursor: str | None = None) -> dict[str, Any]:
    """`{"flags": [...], "run_id", "next_cursor"}`; a department's user sees the flags of their agents and
    teams, with the records of their scope only."""
    ws.principal.require(Permission.manage_read)
    found = integrity_service.list_flags(ws, kind=kind, agent_id=agent_id, month=month)
    units = _scope_units(ws)
    rows = found["flags"]
    if units is not None:
        teams, agents = units
        rows = [f for f in rows if f["agent_id"] in agents or (f["agent_id"] is None and f["team"] in teams)]
        wanted = sorted({r for f in rows for r in f["records"]})
        mine = {r[0] for r in ws.con.execute(f"SELECT record_id FROM {scoped_sql(ws, 'records')} r "
                                             "WHERE record_id IN (SELECT unnest(?::VARCHAR[]))", [wanted]).fetchall()}
        rows = [{**f, "records": [r for r in f["records"] if r in mine]} for f in rows]
    shown, nxt = page(rows, lambda r: (r["month"] or "", r["kind"], r["agent_id"] or "", r["flag_id"]),
                      limit=limit, cursor=cursor)
    return {"flags": mask_rows(ws, shown, texts=_EVIDENCE, what="integrity flags"), "run_id": found["run_id"],
            "next_cursor": nxt}


def kpi_tree(ws: Workspace, *, month: str | None = None, exclude_flagged: bool | None = None) -> dict[str, Any]:
    """The KPI tree measured over the rows the user may see."""
    ws.principal.require(Permission.manage_read)
    return kpis_service.kpi_tree(ws, month=month, exclude_flagged=exclude_flagged)
