"""The monthly executive report and the partner report: gathers one month's figures through the same app
functions the dashboard and API call (so scoping and masking are theirs), and hands them to
`cxloop.reports` to render as HTML or PDF.

A partner report is built as a partner user of that partner would see the data (`Principal` with the
partner role): every figure is scoped to the partner's rows and no other partner's name can appear.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date
from typing import Any

from cxloop.access import Permission, Principal, Role
from cxloop.app import dashboard_service as dash
from cxloop.app import loop_access as loop
from cxloop.app import metrics_service as metrics
from cxloop.app.initiatives_service import initiative_progress
from cxloop.app.integrity_service import list_flags
from cxloop.app.stars_service import compute_stars
from cxloop.app.workspace import Workspace
from cxloop.errors import UsageError
from cxloop.reports import MonthlyReport, render_html, render_pdf

__all__ = ["build_report", "monthly_report", "partner_report", "write_report"]

REPORT_METRICS = ("nps", "csat", "3e")


def _month_bounds(month: str) -> tuple[date, date]:
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        raise UsageError(f"--month {month!r}: use YYYY-MM, e.g. 2026-10", field="month") from None
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _metric(ws: Workspace, name: str, first: date, last: date) -> dict[str, Any]:
    out = metrics.compute_metric(ws, {"metric": name, "since": first.isoformat(), "asof": last.isoformat(),
                                      "compare": "previous"})
    row = out["rows"][0] if out["rows"] else {"value": None, "n": 0, "low_n": True}
    trend = metrics.compute_metric(ws, {"metric": name, "by": "month", "since": "365d", "asof": last.isoformat()})
    return {"metric": name, **row, "trend": trend["rows"]}


def _loop_sections(ws: Workspace, first: date, last: date) -> dict[str, Any]:
    if not ws.principal.can(Permission.loop_read):
        return {"holds": [], "alerts": [], "cases": [], "initiatives": [], "stars": [], "integrity": [],
                "loop": False}
    month = first.strftime("%Y-%m")
    holds = [h for h in loop.holds(ws)["holds"]
             if h["status"] == "on_hold" or (h.get("released_at") and str(h["released_at"])[:7] == month)]
    alerts = [a for a in loop.alerts(ws, limit=1000)["alerts"] if str(a["occurred_at"])[:7] == month]
    cases = loop.cases(ws, limit=1000)["cases"]
    flags = [f for f in list_flags(ws)["flags"] if str(f.get("month") or "")[:7] == month]
    return {"holds": holds, "alerts": alerts, "cases": cases,
            "initiatives": initiative_progress(ws, month=month)["initiatives"],
            "stars": compute_stars(ws, month=month)["stars"][:10], "integrity": flags, "loop": True}


def build_report(ws: Workspace, month: str | None, *, lang: str = "zh", title: str | None = None) -> MonthlyReport:
    """The month's figures as the acting principal may see them."""
    month = month or dash.latest_month(ws)
    if month is None:
        raise UsageError("the workspace has no records: nothing to report")
    first, last = _month_bounds(month)
    since = first.isoformat()
    pains = metrics.rank_painpoints(ws, since=since, asof=last.isoformat(), limit=10)["painpoints"]
    drivers = metrics.driver_analysis(ws, since=since, asof=last.isoformat())["drivers"][:8]
    vols = dash.volumes(ws, since="365d")
    partner = ws.principal.partner if ws.principal.role is Role.partner else None
    return MonthlyReport(
        month=month, lang=lang, title=title, partner=partner,
        metrics=[_metric(ws, m, first, last) for m in REPORT_METRICS], painpoints=pains, drivers=drivers,
        volumes=[v for v in vols["rows"] if v["month"] == month], min_n=ws.settings.min_n,
        **_loop_sections(ws, first, last),
    )


def monthly_report(ws: Workspace, month: str | None, *, lang: str = "zh") -> MonthlyReport:
    return build_report(ws, month, lang=lang)


def partner_report(ws: Workspace, partner: str, month: str | None, *, lang: str = "zh") -> MonthlyReport:
    """The report scoped exactly as a partner user of `partner` sees the data."""
    if not partner.strip():
        raise UsageError("--partner: name the partner", field="partner")
    saved = ws.principal
    ws.principal = replace(Principal(name=f"report:{partner}", role=Role.partner, partner=partner, via="cli"),
                           pii=False)
    try:
        return build_report(ws, month, lang=lang)
    finally:
        ws.principal = saved


def write_report(report: MonthlyReport, out: str) -> dict[str, Any]:
    """Write `report` as HTML or PDF (by the file's suffix); `{"out", "format", "bytes", "month"}`."""
    from pathlib import Path

    path = Path(out)
    html = render_html(report)
    if path.suffix.lower() == ".pdf":
        data = render_pdf(html)
        path.write_bytes(data)
        fmt = "pdf"
    elif path.suffix.lower() in (".html", ".htm"):
        path.write_text(html, encoding="utf-8")
        fmt = "html"
    else:
        raise UsageError(f"--out {out!r}: name a .html or .pdf file", field="out")
    return {"out": str(path), "format": fmt, "bytes": path.stat().st_size, "month": report.month}
