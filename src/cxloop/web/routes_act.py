"""The Act pages: alerts (acknowledge, close), Andon holds (release with a reason), the cases board
(workflow by buttons), initiatives with OKR progress and effect, teams (cards, CX stars) and integrity
findings. Forms post back here with the session's CSRF token and land on the page again (303)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from cxloop.access import Permission
from cxloop.app import dashboard_service as dash
from cxloop.app import loop_access as loop
from cxloop.app.cards_service import list_cards
from cxloop.app.initiatives_service import initiative_progress
from cxloop.app.integrity_service import list_flags
from cxloop.app.stars_service import compute_stars
from cxloop.loop.cases import MOVES, OPEN_STATUSES
from cxloop.web.context import Page, back, form_page, page, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Page, Depends(page(Permission.loop_read))]
Writer = Annotated[Page, Depends(form_page(Permission.loop_write))]
Text = Annotated[str, Form(max_length=2000)]
BOARD = ("new", "in_progress", "waiting_customer", "reopened", "resolved")


@router.get("/alerts", response_class=HTMLResponse)
def alerts(p: Reader, status: Annotated[str, Query(pattern="^(open|acked|closed|all)$")] = "open") -> HTMLResponse:
    found = loop.alerts(p.ws, status=None if status == "all" else status, product=p.filters.product,
                        department=p.filters.department, limit=200)
    return render(p, "alerts.html", alerts=found["alerts"], status=status)


@router.post("/alerts/{alert_id}/{action}")
def alert_action(p: Writer, alert_id: Annotated[str, Path(max_length=100)],
                 action: Annotated[str, Path(pattern="^(ack|close)$")],
                 note: Annotated[str | None, Form(max_length=2000)] = None) -> RedirectResponse:
    loop.set_alert(p.ws, alert_id, "acked" if action == "ack" else "closed", note=note or None)
    return back(p, "/alerts")


@router.get("/holds", response_class=HTMLResponse)
def holds(p: Reader) -> HTMLResponse:
    found = loop.holds(p.ws, product=p.filters.product)["holds"]
    return render(p, "holds.html", holds=found)


@router.post("/holds/{hold_id}/release")
def hold_release(p: Writer, hold_id: Annotated[str, Path(max_length=100)], reason: Text,
                 initiative_id: Annotated[str | None, Form(max_length=100)] = None) -> RedirectResponse:
    loop.release(p.ws, hold_id, reason=reason, initiative_id=initiative_id or None)
    return back(p, "/holds")


@router.get("/cases", response_class=HTMLResponse)
def cases(p: Reader) -> HTMLResponse:
    columns: dict[str, list[dict[str, Any]]] = {s: [] for s in BOARD}
    for status in BOARD:
        found = loop.cases(p.ws, status=status, product=p.filters.product, department=p.filters.department,
                           limit=50)
        columns[status] = found["cases"]
    return render(p, "cases.html", columns=columns, moves=MOVES, open_statuses=OPEN_STATUSES)


@router.post("/cases/{case_id}/move")
def case_move(p: Writer, case_id: Annotated[str, Path(max_length=100)],
              status: Annotated[str, Form(max_length=30)]) -> RedirectResponse:
    loop.case_change(p.ws, case_id, "move", {"status": status})
    return back(p, "/cases")


@router.post("/cases/{case_id}/assign")
def case_assign(p: Writer, case_id: Annotated[str, Path(max_length=100)],
                owner: Annotated[str, Form(min_length=1, max_length=100)]) -> RedirectResponse:
    loop.case_change(p.ws, case_id, "assign", {"owner": owner})
    return back(p, "/cases")


@router.get("/initiatives", response_class=HTMLResponse)
def initiatives(p: Reader) -> HTMLResponse:
    progress = p.cached("initiatives", {}, lambda: initiative_progress(p.ws))
    return render(p, "initiatives.html", progress=progress)


def _month(p: Page, month: str | None) -> str | None:
    return month or p.cached("latest_month", {}, lambda: dash.latest_month(p.ws))


@router.get("/teams", response_class=HTMLResponse)
def teams(p: Reader, month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None) -> HTMLResponse:
    m = _month(p, month)
    stars = p.cached("stars", {"month": m}, lambda: compute_stars(p.ws, month=m)) if m else {"stars": []}
    stars_team = (p.cached("stars.team", {"month": m}, lambda: compute_stars(p.ws, month=m, level="team"))
                  if m else {"stars": []})
    cards = list_cards(p.ws, month=m)
    return render(p, "teams.html", month=m, stars=stars, stars_team=stars_team, cards=cards)


@router.get("/integrity", response_class=HTMLResponse)
def integrity(p: Reader) -> HTMLResponse:
    flags = p.cached("integrity", {}, lambda: list_flags(p.ws))
    by_kind: dict[str, int] = {}
    for flag in flags["flags"]:
        by_kind[flag["kind"]] = by_kind.get(flag["kind"], 0) + 1
    return render(p, "integrity.html", flags=flags["flags"][:200], total=len(flags["flags"]), by_kind=by_kind)
