"""The overview: NPS, CSAT and 3E for the period with their change, monthly trends with confidence bands
(charts load `/api/v1/metrics/...`), volumes by channel, and the Andon holds and open alerts on top."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from cxloop.access import Permission
from cxloop.api.auth import access, state_of
from cxloop.api.problems import ERROR_RESPONSES
from cxloop.app import dashboard_service as dash
from cxloop.app import loop_access as loop
from cxloop.app import metrics_service as metrics
from cxloop.app.workspace import Workspace
from cxloop.web.context import Page, page, render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["dashboard"])

OVERVIEW_METRICS = ("nps", "csat", "3e")
Where = Annotated[list[str] | None, Query(description="channel|product|department=VALUE, repeatable.")]


@api.get("/volumes", summary="Records per month and channel (the dashboard's volume chart)")
def volumes_api(request: Request, ws: Annotated[Workspace, Depends(access(Permission.metrics_read))],
                since: str | None = None, where: Where = None) -> dict[str, Any]:
    args: dict[str, Any] = {"since": since, "where": where}
    return state_of(request).cached(ws, "volumes", args, lambda: dash.volumes(ws, **args))


def summary(p: Page, metric: str) -> dict[str, Any]:
    """The period's value of `metric` with its n, CI and the change against the previous period."""
    query = {"metric": metric, "since": p.filters.since, "where": p.filters.where() or None,
             "compare": "previous" if p.filters.since != "all" else None}
    query = {k: v for k, v in query.items() if v is not None}
    out = p.cached("metric", query, lambda: metrics.compute_metric(p.ws, query))
    rows = out["rows"]
    return {"metric": metric, **(rows[0] if rows else {"value": None, "n": 0, "low_n": True})}


def loop_banner(p: Page) -> dict[str, Any]:
    """Active holds and open alerts for the banner (empty for roles without the loop's read right)."""
    if not p.principal.can(Permission.loop_read):
        return {"holds": [], "alerts": [], "shown": False}
    holds = loop.holds(p.ws, status="on_hold")["holds"]
    alerts = loop.alerts(p.ws, status="open", limit=10)["alerts"]
    return {"holds": holds, "alerts": alerts, "shown": True}


@router.get("/", response_class=HTMLResponse)
def overview(p: Annotated[Page, Depends(page(Permission.metrics_read))]) -> HTMLResponse:
    cards = [summary(p, m) for m in OVERVIEW_METRICS]
    options = p.cached("filter_options", {}, lambda: dash.filter_options(p.ws))
    vols = p.cached("volumes", {"since": p.filters.since, "where": p.filters.where()},
                    lambda: dash.volumes(p.ws, since=p.filters.since, where=p.filters.where()))
    by_channel: dict[str, int] = {}
    for row in vols["rows"]:
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["records"]
    return render(p, "overview.html", cards=cards, options=options, banner=loop_banner(p),
                  by_channel=sorted(by_channel.items(), key=lambda kv: -kv[1]), total=vols["total"])
