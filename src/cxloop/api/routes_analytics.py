"""Routes over the analytics: metrics, pain points, drivers, emerging issues and journeys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from cxloop.access import Permission
from cxloop.api.auth import access, state_of
from cxloop.api.problems import ERROR_RESPONSES
from cxloop.app import journeys_service as journeys
from cxloop.app import metrics_service as metrics
from cxloop.app.workspace import Workspace

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)

Metrics = Annotated[Workspace, Depends(access(Permission.metrics_read))]
Journeys = Annotated[Workspace, Depends(access(Permission.journeys_read))]
Opt = str | None
Where = Annotated[list[str] | None, Query(description="FIELD=VALUE, repeatable (same field: OR).")]


@router.get("/metrics/{metric}", summary="A metric with n and a 95% CI, optionally by dimensions", tags=["metrics"])
def metric(
    request: Request, metric: str, ws: Metrics, by: Opt = None, where: Where = None, since: Opt = None,
    asof: Opt = None, compare: Opt = None,
) -> dict[str, Any]:
    query = {"metric": metric, "by": by, "where": where, "since": since, "asof": asof, "compare": compare}
    query = {k: v for k, v in query.items() if v is not None}
    return state_of(request).cached(ws, "metric", query, lambda: metrics.compute_metric(ws, query))


@router.get("/painpoints", summary="Pain points ranked by one documented score", tags=["metrics"])
def painpoints(
    request: Request, ws: Metrics, since: Opt = "30d", asof: Opt = None, where: Where = None, topic: Opt = None,
    product: Opt = None,
    level: Annotated[str, Query(pattern="^(topic|parent)$")] = "topic",
    verbatims: Annotated[int, Query(ge=0, le=50)] = 0, limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict[str, Any]:
    args: dict[str, Any] = {"since": since, "asof": asof, "where": where, "topic": topic, "product": product,
                            "level": level, "verbatims": verbatims, "limit": limit}
    if verbatims:  # texts: masked and audited per request, never cached
        return metrics.rank_painpoints(ws, **args)
    return state_of(request).cached(ws, "painpoints", args, lambda: metrics.rank_painpoints(ws, **args))


@router.get("/drivers", summary="Key drivers of NPS or CSAT", tags=["metrics"])
def drivers(request: Request, ws: Metrics,
            target: Annotated[str, Query(pattern="^(nps|csat)$")] = "nps") -> dict[str, Any]:
    return state_of(request).cached(ws, "drivers", {"target": target},
                                    lambda: metrics.driver_analysis(ws, target=target))


@router.get("/emerging", summary="Emerging issues: topic and cluster volumes above their baseline",
            tags=["metrics"])
def emerging(
    request: Request, ws: Metrics, asof: Opt = None, since: Opt = None,
    window_days: Annotated[int, Query(ge=1, le=90)] = 7, baseline_days: Annotated[int, Query(ge=7, le=365)] = 56,
) -> dict[str, Any]:
    args: dict[str, Any] = {"asof": asof, "since": since, "window_days": window_days, "baseline_days": baseline_days}
    return state_of(request).cached(ws, "emerging", args, lambda: metrics.detect_emerging(ws, **args))


Dim = Annotated[str, Query(pattern="^(event_type|channel|touchpoint|stage)$")]
Per = Annotated[str | None, Query(pattern="^(session|customer|episode)$")]


@router.get("/journeys/flows", summary="Directly-follows graph", tags=["journeys"])
def flows(request: Request, ws: Journeys, by: Dim = "event_type", per: Per = None,
          lifecycle: Opt = None) -> dict[str, Any]:
    args: dict[str, Any] = {"by": by, "per": per, "lifecycle": lifecycle}
    return state_of(request).cached(ws, "journeys.flows", args, lambda: journeys.flows(ws, **args))


@router.get("/journeys/variants", summary="Most frequent paths", tags=["journeys"])
def variants(request: Request, ws: Journeys, by: Dim = "event_type", per: Per = None,
             top: Annotated[int, Query(ge=1, le=1000)] = 20) -> dict[str, Any]:
    args: dict[str, Any] = {"by": by, "per": per, "top": top}
    return state_of(request).cached(ws, "journeys.variants", args, lambda: journeys.variants(ws, **args))


@router.get("/journeys/map", summary="Stage x touchpoint journey map", tags=["journeys"])
def journey_map(request: Request, ws: Journeys) -> dict[str, Any]:
    return state_of(request).cached(ws, "journeys.journey_map", {}, lambda: journeys.journey_map(ws))


@router.get("/journeys/episodes", summary="Service episodes with their health", tags=["journeys"])
def episodes(request: Request, ws: Journeys,
             limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:
    return state_of(request).cached(ws, "journeys.episodes", {"limit": limit},
                                    lambda: journeys.episodes(ws, limit=limit))


@router.get("/journeys/switching", summary="Channel switching", tags=["journeys"])
def switching(request: Request, ws: Journeys) -> dict[str, Any]:
    return state_of(request).cached(ws, "journeys.switching", {}, lambda: journeys.channel_switching(ws))


@router.get("/journeys/ivr", summary="IVR paths", tags=["journeys"])
def ivr(request: Request, ws: Journeys, top: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, Any]:
    return state_of(request).cached(ws, "journeys.ivr", {"top": top}, lambda: journeys.ivr_paths(ws, top=top))


@router.get("/journeys/worst", summary="The least healthy service episodes with their timelines", tags=["journeys"])
def worst(ws: Journeys, top: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, Any]:
    return journeys.worst_journeys(ws, top=top)
