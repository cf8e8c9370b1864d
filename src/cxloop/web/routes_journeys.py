"""Journeys (a Sankey of the most frequent paths, the stage x touchpoint map, the worst episodes with
their timelines, IVR nodes and lost rates) and the customer page (search by any identifier, profile,
cross-channel timeline). Texts and identifiers come masked from the app per the user's PII right."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from cxloop.access import Permission
from cxloop.app import journeys_service as journeys
from cxloop.app.customers_service import show_customer
from cxloop.errors import NotFound, UsageError
from cxloop.web.context import Page, page, render

router = APIRouter(include_in_schema=False)
SANKEY_QUERY = "by=channel&per=episode&top=40"


@router.get("/journeys", response_class=HTMLResponse)
def journeys_page(p: Annotated[Page, Depends(page(Permission.journeys_read))]) -> HTMLResponse:
    args: dict[str, Any] = {"by": "channel", "per": "episode", "top": 40}
    variants = p.cached("journeys.variants", args, lambda: journeys.variants(p.ws, **args))
    jmap = p.cached("journeys.map", {}, lambda: journeys.journey_map(p.ws))
    ivr = p.cached("journeys.ivr", {"top": 10}, lambda: journeys.ivr_paths(p.ws, top=10))
    worst = journeys.worst_journeys(p.ws, top=5)  # texts: masked per request, never cached
    return render(p, "journeys.html", variants=variants, jmap=jmap, ivr=ivr, worst=worst,
                  sankey_src=f"/api/v1/journeys/variants?{SANKEY_QUERY}")


@router.get("/customer", response_class=HTMLResponse)
def customer(p: Annotated[Page, Depends(page(Permission.customers_read))],
             q: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    profile: dict[str, Any] | None = None
    timeline: dict[str, Any] | None = None
    error = None
    if q and q.strip():
        try:
            profile = show_customer(p.ws, q.strip())
            timeline = journeys.timeline(p.ws, q.strip())
        except (NotFound, UsageError) as exc:
            error = exc.message
    return render(p, "customer.html", q=q or "", profile=profile, timeline=timeline, error=error)
