"""Routes over the analytics: metrics, pain points, drivers, emerging issues and journeys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from cxloop.access import Permission
from cxloop.api.auth import access
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
    metric: str, ws: Metrics, by: Opt = None, where: Where = None, since: Opt = None, asof: Opt = None,
    compare: Opt = None,
) -> dict[str, Any]:
    query = {"metric": metric, "by": by, "where": where, "since": since, "asof": asof, "compare": compare}
    return metrics.compute_metric(ws, {k: v for k, v in query.items() if v is not None})


@router.get("/painpoints", summary="Pain points ranked by one documented score", tags=["metrics"])
def painpoints(
    ws: Metrics, since: Opt = "30d", asof: Opt = None, where: Where = None, topic: Opt = None, product: Opt = None,
    level: Annotated[str, Query(pattern="^(topic|parent)$")] = "topic",
    verbatims: Annotated[int, Query(ge=0, le=50)] = 0, limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict[str, Any]:
    return metrics.rank_painpoints(ws, since=since, asof=asof, where=where, topic=topic, product=product,
                                   level=level, verbatims=verbatims, limit=limit)


@router.get("/drivers", summary="Key drivers of NPS or CSAT", tags=["metrics"])
def drivers(ws: Metrics, target: Annotated[str, Query(pattern="^(nps|csat)$")] = "nps") -> dict[str, Any]:
    return metrics.driver_analysis(ws, target=target)


@router.get("/emerging", summary="Emerging issues: topic and cluster volumes above their baseline",
            tags=["metrics"])
def emerging(
    ws: Metrics, asof: Opt = None, since: Opt = None,
    window_days: Annotated[int, Query(ge=1, le=90)] = 7, baseline_days: Annotated[int, Query(ge=7, le=365)] = 56,
) -> dict[str, Any]:
    return metrics.detect_emerging(ws, asof=asof, since=since, window_days=window_days, baseline_days=baseline_days)


Dim = Annotated[str, Query(pattern="^(event_type|channel|touchpoint|stage)$")]
Per = Annotated[str | None, Query(pattern="^(session|customer|episode)$")]


@router.get("/journeys/flows", summary="Directly-follows graph", tags=["journeys"])
def flows(ws: Journeys, by: Dim = "event_type", per: Per = None, lifecycle: Opt = None) -> dict[str, Any]:
    return journeys.flows(ws, by=by, per=per, lifecycle=lifecycle)


@router.get("/journeys/variants", summary="Most frequent paths", tags=["journeys"])
def variants(ws: Journeys, by: Dim = "event_type", per: Per = None,
             top: Annotated[int, Query(ge=1, le=1000)] = 20) -> dict[str, Any]:
    return journeys.variants(ws, by=by, per=per, top=top)


@router.get("/journeys/map", summary="Stage x touchpoint journey map", tags=["journeys"])
def journey_map(ws: Journeys) -> dict[str, Any]:
    return journeys.journey_map(ws)


@router.get("/journeys/episodes", summary="Service episodes with their health", tags=["journeys"])
def episodes(ws: Journeys, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:
    return journeys.episodes(ws, limit=limit)


@router.get("/journeys/switching", summary="Channel switching", tags=["journeys"])
def switching(ws: Journeys) -> dict[str, Any]:
    return journeys.channel_switching(ws)


@router.get("/journeys/ivr", summary="IVR paths", tags=["journeys"])
def ivr(ws: Journeys, top: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, Any]:
    return journeys.ivr_paths(ws, top=top)


@router.get("/journeys/worst", summary="The least healthy service episodes with their timelines", tags=["journeys"])
def worst(ws: Journeys, top: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, Any]:
    return journeys.worst_journeys(ws, top=top)
