"""The REST API: read-only JSON endpoints over one workspace, the same dicts the CLI prints.

Each request opens the workspace read-only and closes it, so a CLI ingest between requests is not blocked
for longer than a request. Errors are JSON problem bodies `{"error": {"code", "message", "file", "row",
"field"}}` with the HTTP status of their family.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from cxloop import __version__
from cxloop.app import Workspace
from cxloop.app import journeys_service as journeys
from cxloop.app import metrics_service as metrics
from cxloop.app.customers_service import show_customer
from cxloop.app.ingest_service import list_rejects
from cxloop.errors import Conflict, CxloopError, InputError, NotFound, UsageError, WorkspaceError

__all__ = ["create_app"]

_STATUS: list[tuple[type[CxloopError], int]] = [
    (NotFound, 404), (UsageError, 400), (InputError, 422), (WorkspaceError, 503), (Conflict, 409),
]


def _status_of(error: CxloopError) -> int:
    return next((code for family, code in _STATUS if isinstance(error, family)), 500)


def create_app(root: Path) -> FastAPI:
    """A FastAPI app serving the workspace at `root`."""
    app = FastAPI(title="cxloop", version=__version__,
                  description="Customer-experience data of one cxloop workspace. 客户体验数据接口。")

    @contextmanager
    def opened() -> Iterator[Workspace]:
        with Workspace.open(root, read_only=True) as ws:
            yield ws

    def serve(call: Callable[[Workspace], dict[str, Any]]) -> dict[str, Any]:
        with opened() as ws:
            return call(ws)

    @app.exception_handler(CxloopError)
    async def _cxloop_error(_: Request, exc: CxloopError) -> JSONResponse:
        return JSONResponse({"error": exc.to_dict()}, status_code=_status_of(exc))

    @app.get("/api/status", summary="Counts of records, events, customers, batches, rejects")
    def status() -> dict[str, Any]:
        return serve(lambda ws: ws.status())

    @app.get("/api/rejects", summary="Rejected rows with file, row, field and reason")
    def rejects(batch: str | None = None, limit: Annotated[int, Query(ge=1, le=10000)] = 1000) -> dict[str, Any]:
        return serve(lambda ws: {"rejects": list_rejects(ws, batch=batch, limit=limit)})

    @app.get("/api/customers/{identifier}", summary="A customer behind any identifier")
    def customer(identifier: str) -> dict[str, Any]:
        return serve(lambda ws: show_customer(ws, identifier))

    @app.get("/api/customers/{identifier}/timeline", summary="A customer's timeline across channels")
    def timeline(identifier: str) -> dict[str, Any]:
        return serve(lambda ws: journeys.timeline(ws, identifier))

    @app.get("/api/metrics/{metric}", summary="A metric with n and a 95% CI, optionally by dimensions")
    def metric(
        metric: str, by: str | None = None, where: Annotated[list[str] | None, Query()] = None,
        since: str | None = None, asof: str | None = None, compare: str | None = None,
    ) -> dict[str, Any]:
        query = {"metric": metric, "by": by, "where": where, "since": since, "asof": asof, "compare": compare}
        return serve(lambda ws: metrics.compute_metric(ws, {k: v for k, v in query.items() if v is not None}))

    @app.get("/api/painpoints", summary="Pain points ranked by one documented score")
    def painpoints(since: str | None = "30d", limit: Annotated[int, Query(ge=1, le=500)] = 20) -> dict[str, Any]:
        return serve(lambda ws: metrics.rank_painpoints(ws, since=since, limit=limit))

    @app.get("/api/drivers", summary="Key drivers of NPS or CSAT")
    def drivers(target: str = "nps") -> dict[str, Any]:
        return serve(lambda ws: metrics.driver_analysis(ws, target=target))

    @app.get("/api/journeys/flows", summary="Directly-follows graph")
    def flows(by: str = "event_type", per: str | None = None, lifecycle: str | None = None) -> dict[str, Any]:
        return serve(lambda ws: journeys.flows(ws, by=by, per=per, lifecycle=lifecycle))

    @app.get("/api/journeys/variants", summary="Most frequent paths")
    def variants(by: str = "event_type", per: str | None = None, top: int = 20) -> dict[str, Any]:
        return serve(lambda ws: journeys.variants(ws, by=by, per=per, top=top))

    @app.get("/api/journeys/worst", summary="The least healthy service episodes with their timelines")
    def worst(top: int = 10) -> dict[str, Any]:
        return serve(lambda ws: journeys.worst_journeys(ws, top=top))

    return app
