"""Pain points (ranked, with drill-down to masked verbatims whose topic words are highlighted), key
drivers of NPS (impact chart from `/api/v1/drivers`) and emerging issues."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from cxloop.access import Permission
from cxloop.app import dashboard_service as dash
from cxloop.app import metrics_service as metrics
from cxloop.app.text_catalog_service import list_topics
from cxloop.web.context import Page, page, render, templates

router = APIRouter(include_in_schema=False)
Reader = Annotated[Page, Depends(page(Permission.metrics_read))]


def highlight(text: str | None, words: list[str]) -> Markup:
    """`text` escaped, with every occurrence of `words` (case-insensitive) wrapped in <mark>."""
    if not text:
        return Markup("")
    words = sorted({w for w in words if w and len(w) <= 50}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(text):
        out += [str(escape(text[last:m.start()])), f"<mark>{escape(m.group(0))}</mark>"]
        last = m.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


templates.env.filters["highlight"] = highlight


def _topics(p: Page) -> dict[str, dict[str, Any]]:
    return {t["topic_id"]: t for t in p.cached("topics", {}, lambda: list_topics(p.ws))}


@router.get("/painpoints", response_class=HTMLResponse)
def painpoints(p: Reader) -> HTMLResponse:
    args: dict[str, Any] = {"since": p.filters.since, "where": p.filters.where() or None, "limit": 25}
    ranked = p.cached("painpoints", args, lambda: metrics.rank_painpoints(p.ws, **args))
    driver_args: dict[str, Any] = {"target": "nps", "since": p.filters.since, "where": p.filters.where() or None}
    drivers = p.cached("drivers", driver_args, lambda: metrics.driver_analysis(p.ws, **driver_args))
    emerging = p.cached("emerging", {}, lambda: metrics.detect_emerging(p.ws))
    options = p.cached("filter_options", {}, lambda: dash.filter_options(p.ws))
    topics = _topics(p)
    return render(p, "painpoints.html", ranked=ranked, drivers=drivers, emerging=emerging, options=options,
                  topics=topics)


@router.get("/painpoints/drill", response_class=HTMLResponse)
def drill(p: Reader, topic: Annotated[str, Query(max_length=200)],
          product: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    # verbatims are masked (and unmasked views audited) per request by the app: never cached
    found = metrics.rank_painpoints(p.ws, since=p.filters.since, where=p.filters.where() or None, topic=topic,
                                    product=product or None, verbatims=50, limit=1)
    info = _topics(p).get(topic, {"topic_id": topic, "keywords": []})
    options = p.cached("filter_options", {}, lambda: dash.filter_options(p.ws))
    return render(p, "drill.html", found=found, topic=info, product=product, options=options,
                  words=list(info.get("keywords") or []))
