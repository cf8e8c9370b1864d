"""Initiatives with OKRs: create (by hand or from a ranked pain point), add key results, list, show with
measured progress and effect, monthly progress summaries, status changes, links to holds and cases, close.

Every function returns the plain dict the CLI prints as JSON (the API exposes the same functions). Writes
append to `initiative_history`; evaluation is in data time (see `initiatives_measure`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from cxloop.app.andon_service import list_holds, release_hold
from cxloop.app.initiatives_measure import KrMeasurer
from cxloop.app.integrity_filter import exclusion_active
from cxloop.app.workspace import Workspace
from cxloop.errors import NotFound, UsageError
from cxloop.loop.effects import MENTION_SHARE
from cxloop.loop.initiatives import check_transition, default_direction, parse_month
from cxloop.loop.key_results import KeyResultQuery, validate_kr
from cxloop.metrics.query import parse_query
from cxloop.store import first_row, transaction

__all__ = [
    "add_key_result",
    "close_initiative",
    "create_initiative",
    "get_initiative",
    "initiative_progress",
    "link_initiative",
    "list_initiatives",
    "show_initiative",
    "update_initiative",
]

_COLS = ("initiative_id", "title", "objective", "owner_department", "departments", "status", "product",
         "topic_id", "change_date", "comparison", "painpoint", "estimated_value", "created_at", "created_by",
         "closed_at", "close_reason")
_KR_COLS = ("kr_id", "initiative_id", "metric", "topic_id", "filters", "target", "due", "direction", "baseline",
            "baseline_n", "baseline_ci_low", "baseline_ci_high", "baseline_start", "baseline_end", "created_at")


def _now() -> datetime:
    """When an operation was recorded (bookkeeping only; nothing is evaluated on the wall clock)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date | datetime) else v


def _parse_date(text: str | date | None, flag: str) -> date | None:
    if text is None or isinstance(text, date):
        return text
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: use a date like 2026-07-27", field=flag.lstrip("-")) from None


def _filters(where: list[str] | None) -> dict[str, tuple[str, ...]]:
    return parse_query("nps", where=where).filters() if where else {}


def _next_id(ws: Workspace, table: str, column: str, prefix: str) -> str:
    row = first_row(ws.con.execute(
        f"SELECT coalesce(max(CAST(substr({column}, {len(prefix) + 1}) AS INTEGER)), 0) FROM {table}"))
    return f"{prefix}{(int(row[0]) if row else 0) + 1:04d}"


def _history(ws: Workspace, initiative_id: str, actor: str, action: str, detail: dict[str, Any]) -> None:
    row = first_row(ws.con.execute(
        "SELECT coalesce(max(seq), 0) FROM initiative_history WHERE initiative_id = ?", [initiative_id]))
    ws.con.execute(
        "INSERT INTO initiative_history VALUES (?, ?, ?, ?, ?, ?)",
        [initiative_id, (int(row[0]) if row else 0) + 1, _now(), actor, action,
         json.dumps(detail, ensure_ascii=False, default=str)],
    )


def get_initiative(ws: Workspace, initiative_id: str) -> dict[str, Any]:
    """The stored initiative with its key results and links (nothing measured)."""
    row = first_row(ws.con.execute(f"SELECT {', '.join(_COLS)} FROM initiatives WHERE initiative_id = ?",
                                   [initiative_id]))
    if row is None:
        raise NotFound(f"initiative {initiative_id!r} not found; list them with 'cxloop initiatives list'")
    init = dict(zip(_COLS, row, strict=True))
    for key in ("comparison", "painpoint"):
        init[key] = json.loads(init[key]) if init[key] else None
    init["departments"] = list(init["departments"] or [])
    krs = ws.con.execute(f"SELECT {', '.join(_KR_COLS)} FROM key_results WHERE initiative_id = ? ORDER BY kr_id",
                         [initiative_id]).fetchall()
    init["key_results"] = [_kr_dict(dict(zip(_KR_COLS, r, strict=True))) for r in krs]
    links = ws.con.execute("SELECT kind, ref_id FROM initiative_links WHERE initiative_id = ? ORDER BY 1, 2",
                           [initiative_id]).fetchall()
    init["links"] = {"holds": [r for k, r in links if k == "hold"], "cases": [r for k, r in links if k == "case"]}
    return init


def _kr_dict(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "kr_id": r["kr_id"], "metric": r["metric"], "topic": r["topic_id"], "where": json.loads(r["filters"]),
        "target": r["target"], "due": _iso(r["due"]), "direction": r["direction"], "baseline": r["baseline"],
        "baseline_n": r["baseline_n"], "baseline_ci": [r["baseline_ci_low"], r["baseline_ci_high"]],
        "baseline_window": {"from": _iso(r["baseline_start"]), "to": _iso(r["baseline_end"])},
        "unit": _unit(r["metric"]),
    }


def _unit(metric: str) -> str:
    if metric in ("nps", "3e"):
        return "points (NPS -100..100)" if metric == "nps" else "index points 0..100"
    if metric == MENTION_SHARE:
        return "share 0..1"
    return "mean (scale points)" if metric in ("ces", "rating") else "% (rate)"


def _painpoint(ws: Workspace, rank: int, since: str | None) -> dict[str, Any]:
    from cxloop.app.metrics_service import rank_painpoints

    if rank < 1:
        raise UsageError("--from-painpoint RANK: ranks start at 1", field="from_painpoint")
    found = rank_painpoints(ws, since=since, limit=rank)["painpoints"]
    if len(found) < rank:
        raise NotFound(f"pain point rank {rank} not found: only {len(found)} ranked (see 'cxloop painpoints')")
    return found[rank - 1]


def create_initiative(
    ws: Workspace, *, title: str | None = None, owner_department: str | None = None,
    departments: list[str] | None = None, objective: str | None = None, from_painpoint: int | None = None,
    since: str | None = "30d", product: str | None = None, topic: str | None = None,
    change_date: str | date | None = None, comparison: list[str] | None = None, status: str = "proposed",
    actor: str = "cli",
) -> dict[str, Any]:
    """Create an initiative; from a ranked pain point it carries the product, topic, evidence and value.
    Holds still on the product for the topic (or a child of it) are linked: closing the initiative as done
    releases them."""
    check_transition("proposed", status)
    pain = _painpoint(ws, from_painpoint, since) if from_painpoint is not None else None
    if pain is not None:
        product = product or pain["product"]
        topic = topic or pain["topic"]
        owner_department = owner_department or pain.get("owner_department")
        title = title or f"{pain.get('topic_name') or pain['topic']} · {pain['product']}"
    if not title or not owner_department:
        raise UsageError("an initiative needs --title and --owner-dept (or --from-painpoint RANK)",
                         field="title" if not title else "owner_dept")
    depts = list(dict.fromkeys([owner_department, *(departments or [])]))
    comp = {k: list(v) for k, v in _filters(comparison).items()} or None
    new_id = _next_id(ws, "initiatives", "initiative_id", "INI-")
    with transaction(ws.con):
        ws.con.execute(
            f"INSERT INTO initiatives ({', '.join(_COLS)}) VALUES ({', '.join('?' * len(_COLS))})",
            [new_id, title, objective, owner_department, depts, status, product, topic,
             _parse_date(change_date, "--change-date"), json.dumps(comp, ensure_ascii=False) if comp else None,
             json.dumps(pain, ensure_ascii=False) if pain else None,
             pain.get("nps_at_stake") if pain else None, _now(), actor, None, None],
        )
        _history(ws, new_id, actor, "created", {"status": status, "from_painpoint": from_painpoint})
    holds = _matching_holds(ws, product, topic)
    return link_initiative(ws, new_id, holds=holds, actor=actor) if holds else get_initiative(ws, new_id)


def add_key_result(
    ws: Workspace, initiative_id: str, *, metric: str, topic: str | None = None, where: list[str] | None = None,
    target: float | None = None, due: str | date | None = None, direction: str | None = None,
    exclude_flagged: bool | None = None, actor: str = "cli",
) -> dict[str, Any]:
    """Add a key result; its baseline is measured now over the stated period and stored."""
    init = get_initiative(ws, initiative_id)
    filters = _filters(where)
    validate_kr(metric, topic, filters)
    if direction not in (None, "higher", "lower"):
        raise UsageError(f"--direction {direction!r}: use higher or lower", field="direction")
    q = KeyResultQuery(metric, topic, filters)
    base = KrMeasurer(ws, exclude_flagged).baseline(q, init["change_date"])
    window = base["window"] or {}
    kr_id = _next_id(ws, "key_results", "kr_id", "KR-")
    values = [kr_id, initiative_id, metric, topic, json.dumps({k: list(v) for k, v in filters.items()},
              ensure_ascii=False), target, _parse_date(due, "--due"), direction or default_direction(metric),
              base["value"], base["n"], base["ci_low"], base["ci_high"], window.get("from"), window.get("to"), _now()]
    with transaction(ws.con):
        ws.con.execute(f"INSERT INTO key_results ({', '.join(_KR_COLS)}) VALUES ({', '.join('?' * len(_KR_COLS))})",
                       values)
        _history(ws, initiative_id, actor, "kr_added", {"kr_id": kr_id, "metric": metric})
    return next(k for k in get_initiative(ws, initiative_id)["key_results"] if k["kr_id"] == kr_id)


def list_initiatives(ws: Workspace, *, status: str | None = None) -> dict[str, Any]:
    """`{"initiatives": [{initiative_id, title, status, owner_department, product, topic, change_date,
    key_results}]}` (stored facts; `show` measures)."""
    rows = ws.con.execute(
        "SELECT i.initiative_id, i.title, i.status, i.owner_department, i.product, i.topic_id, i.change_date, "
        "(SELECT count(*) FROM key_results k WHERE k.initiative_id = i.initiative_id) FROM initiatives i "
        "WHERE ? IS NULL OR i.status = ? ORDER BY i.initiative_id", [status, status]).fetchall()
    keys = ("initiative_id", "title", "status", "owner_department", "product", "topic", "change_date", "key_results")
    return {"initiatives": [{k: _iso(v) for k, v in zip(keys, r, strict=True)} for r in rows]}


def _measured(ws: Workspace, init: dict[str, Any], month: date | None, exclude_flagged: bool | None
              ) -> dict[str, Any]:
    m = KrMeasurer(ws, exclude_flagged)
    treated = _treated_products(ws, init["initiative_id"])
    krs = []
    for kr in init["key_results"]:
        q = KeyResultQuery(kr["metric"], kr["topic"], {k: tuple(v) for k, v in kr["where"].items()})
        krs.append({**kr, **m.measure(kr, q, init, month, treated)})
    out = {k: _iso(v) for k, v in init.items() if k != "key_results"}
    out["topic"] = out.pop("topic_id")
    out["key_results"] = krs
    out["exclude_flagged"] = m.active
    out["excluded_flagged"] = sum(k["excluded_flagged"] for k in krs)
    return out


def _treated_products(ws: Workspace, initiative_id: str) -> tuple[str, ...]:
    """Products that other (not dropped) initiatives changed: no control for a difference-in-differences."""
    rows = ws.con.execute(
        "SELECT DISTINCT product FROM initiatives WHERE initiative_id <> ? AND product IS NOT NULL "
        "AND change_date IS NOT NULL AND status <> 'dropped' ORDER BY 1", [initiative_id]).fetchall()
    return tuple(r[0] for r in rows)


def show_initiative(ws: Workspace, initiative_id: str, *, month: str | None = None,
                    exclude_flagged: bool | None = None) -> dict[str, Any]:
    """The initiative with each key result's baseline, current value, target, progress and effect."""
    return _measured(ws, get_initiative(ws, initiative_id), parse_month(month) if month else None, exclude_flagged)


def initiative_progress(ws: Workspace, initiative_id: str | None = None, *, month: str | None = None,
                        exclude_flagged: bool | None = None) -> dict[str, Any]:
    """The monthly summary of one initiative, or of every proposed and active one."""
    ids = [initiative_id] if initiative_id else [
        r[0] for r in ws.con.execute("SELECT initiative_id FROM initiatives WHERE status IN ('proposed', 'active') "
                                     "ORDER BY 1").fetchall()]
    review = parse_month(month) if month else None
    out = []
    for i in ids:
        m = _measured(ws, get_initiative(ws, i), review, exclude_flagged)
        krs = [{k: kr.get(k) for k in ("kr_id", "metric", "topic", "baseline", "current", "current_month",
                                       "target", "due", "attainment", "status", "series", "next_review",
                                       "excluded_flagged")}
               | {"effect": _effect_summary(kr.get("effect"))} for kr in m["key_results"]]
        reviews = [k["next_review"] for k in krs if k["next_review"]]
        out.append({"initiative_id": i, "title": m["title"], "status": m["status"], "change_date": m["change_date"],
                    "key_results": krs, "next_review": min(reviews) if reviews else None,
                    "excluded_flagged": m["excluded_flagged"]})
    return {"initiatives": out, "month": month, "exclude_flagged": exclusion_active(ws, exclude_flagged),
            "excluded_flagged": sum(o["excluded_flagged"] for o in out)}


def _effect_summary(effect: dict[str, Any] | None) -> dict[str, Any] | None:
    if effect is None:
        return None
    did = effect.get("did") or {}
    return {"difference": effect["difference"], "p_value": effect["p_value"], "significant": effect["significant"],
            "verdict": effect["verdict"], "did": did.get("estimate"), "did_p_value": did.get("p_value"),
            "nps_worth": (effect.get("nps_worth") or {}).get("points")}


def update_initiative(ws: Workspace, initiative_id: str, *, status: str | None = None,
                      change_date: str | date | None = None, actor: str = "cli") -> dict[str, Any]:
    """Move the status forward and/or set the change date whose effect is measured."""
    init = get_initiative(ws, initiative_id)
    with transaction(ws.con):
        if status is not None and status != init["status"]:
            check_transition(init["status"], status)
            if status in ("done", "dropped"):
                raise UsageError("use 'cxloop initiatives close' to finish an initiative (it releases its holds)")
            ws.con.execute("UPDATE initiatives SET status = ? WHERE initiative_id = ?", [status, initiative_id])
            _history(ws, initiative_id, actor, "status", {"from": init["status"], "to": status})
        if change_date is not None:
            day = _parse_date(change_date, "--change-date")
            ws.con.execute("UPDATE initiatives SET change_date = ? WHERE initiative_id = ?", [day, initiative_id])
            _history(ws, initiative_id, actor, "change_date", {"change_date": _iso(day)})
    return get_initiative(ws, initiative_id)


def link_initiative(ws: Workspace, initiative_id: str, *, holds: list[str] | None = None,
                    cases: list[str] | None = None, actor: str = "cli") -> dict[str, Any]:
    """Link holds (released when the initiative closes) and cases to the initiative."""
    get_initiative(ws, initiative_id)
    with transaction(ws.con):
        for kind, refs in (("hold", holds or []), ("case", cases or [])):
            for ref in refs:
                ws.con.execute("INSERT OR IGNORE INTO initiative_links VALUES (?, ?, ?, ?, ?)",
                               [initiative_id, kind, ref, _now(), actor])
                _history(ws, initiative_id, actor, "linked", {"kind": kind, "ref_id": ref})
    return get_initiative(ws, initiative_id)


def close_initiative(ws: Workspace, initiative_id: str, *, status: str = "done", reason: str | None = None,
                     actor: str = "cli") -> dict[str, Any]:
    """Close as done or dropped. Done releases the holds linked to it (the cause is fixed); dropped keeps
    them on hold (nothing cleared the cause)."""
    init = get_initiative(ws, initiative_id)
    if status not in ("done", "dropped"):
        raise UsageError(f"--status {status!r}: close as done or dropped", field="status")
    check_transition(init["status"], status)
    with transaction(ws.con):
        ws.con.execute("UPDATE initiatives SET status = ?, closed_at = ?, close_reason = ? WHERE initiative_id = ?",
                       [status, _now(), reason, initiative_id])
        _history(ws, initiative_id, actor, "closed", {"status": status, "reason": reason})
    holds = init["links"]["holds"]
    released = _release_holds(ws, initiative_id, holds, reason, actor) if status == "done" else []
    return {**get_initiative(ws, initiative_id), "released_holds": released,
            "kept_holds": [h for h in holds if h not in released]}


def _release_holds(ws: Workspace, initiative_id: str, holds: list[str], reason: str | None, actor: str
                   ) -> list[str]:
    """Release the linked holds that are still on hold (through the Andon service, which appends the
    release with this initiative to the hold's history)."""
    on_hold = {h["hold_id"] for h in list_holds(ws, status="on_hold")["holds"]}
    released = []
    for hold_id in holds:
        if hold_id in on_hold:
            why = f"initiative {initiative_id} done" + (f": {reason}" if reason else "")
            release_hold(ws, hold_id, reason=why, actor=actor, initiative_id=initiative_id)
            released.append(hold_id)
    return released


def _matching_holds(ws: Workspace, product: str | None, topic: str | None) -> list[str]:
    """Holds on the product for the topic (or a child of it) still on hold: what the initiative clears."""
    if not product or not topic:
        return []
    on_hold = {h["hold_id"] for h in list_holds(ws, status="on_hold", product=product)["holds"]}
    rows = ws.con.execute("SELECT hold_id FROM holds WHERE product = ? AND (topic_id = ? OR starts_with(topic_id, ?)) "
                          "ORDER BY hold_id", [product, topic, f"{topic}."]).fetchall()
    return [r[0] for r in rows if r[0] in on_hold]
