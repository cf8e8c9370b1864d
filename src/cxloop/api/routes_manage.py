"""Routes of managing by the loop (docs/loop_manage.md): initiatives with key results, red/yellow cards, CX
stars, metric integrity and the KPI tree — department-scoped, masked and audited by `app.manage_access`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from cxloop.access import Permission
from cxloop.api.auth import access
from cxloop.api.problems import ERROR_RESPONSES
from cxloop.app import manage_access as manage
from cxloop.app.workspace import Workspace

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["manage"])

Reader = Annotated[Workspace, Depends(access(Permission.manage_read))]
Writer = Annotated[Workspace, Depends(access(Permission.manage_write))]
Opt = str | None
Limit = Annotated[int, Query(ge=1, le=1000)]
Cursor = Annotated[str | None, Query(max_length=500)]
Month = Annotated[str | None, Query(max_length=7, description="Review month, e.g. 2026-10 (default: latest)")]
Flagged = Annotated[bool | None, Query(description="Leave flagged responses out (default: the workspace setting)")]
_Short = Field(None, max_length=100)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewInitiative(_Body):
    title: str | None = Field(None, min_length=1, max_length=500)
    owner_department: str | None = _Short
    departments: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=50)
    objective: str | None = Field(None, max_length=2000)
    from_painpoint: int | None = Field(None, ge=1, le=1000, description="Rank of GET /api/v1/painpoints")
    since: str | None = Field("30d", max_length=40, description="Window of the pain-point ranking")
    product: str | None = _Short
    topic: str | None = _Short
    change_date: str | None = Field(None, max_length=10, description="Local date of the change, e.g. 2026-07-27")
    comparison: list[Annotated[str, Field(max_length=200)]] | None = Field(
        None, max_length=20, description="FIELD=VALUE of the comparison group (default: the other products)")
    status: Literal["proposed", "active"] = "proposed"


class NewKeyResult(_Body):
    metric: str = Field(min_length=1, max_length=40, description="A metric of /metrics, or mention_share")
    topic: str | None = _Short
    where: list[Annotated[str, Field(max_length=200)]] | None = Field(None, max_length=20,
                                                                      description="FIELD=VALUE filters")
    target: float | None = Field(None, allow_inf_nan=False)
    due: str | None = Field(None, max_length=10, description="Due date, e.g. 2026-12-31")
    direction: Literal["higher", "lower"] | None = None
    exclude_flagged: bool | None = None


class InitiativeUpdate(_Body):
    status: Literal["active"] | None = None
    change_date: str | None = Field(None, max_length=10)


class Links(_Body):
    holds: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=100)
    cases: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=100)


class Closing(_Body):
    status: Literal["done", "dropped"] = "done"
    reason: str | None = Field(None, max_length=2000)


class CardsRun(_Body):
    month: str = Field(min_length=7, max_length=7, description="The local month, e.g. 2026-10")


@router.get("/initiatives", summary="Initiatives in id order (a department's user: theirs)")
def initiatives(ws: Reader, status: Opt = None, limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    return manage.initiatives(ws, status=status, limit=limit, cursor=cursor)


@router.post("/initiatives", summary="Create an initiative, by hand or from a ranked pain point", status_code=201)
def initiative_create(body: NewInitiative, ws: Writer) -> dict[str, Any]:
    return manage.create_initiative(ws, body.model_dump())


@router.get("/initiatives/progress", summary="Monthly summary of every open initiative")
def progress_all(ws: Reader, month: Month = None, exclude_flagged: Flagged = None) -> dict[str, Any]:
    return manage.progress(ws, month=month, exclude_flagged=exclude_flagged)


@router.get("/initiatives/{initiative_id}", summary="An initiative with its key results measured and their effect")
def initiative(initiative_id: str, ws: Reader, month: Month = None, exclude_flagged: Flagged = None
               ) -> dict[str, Any]:
    return manage.initiative(ws, initiative_id, month=month, exclude_flagged=exclude_flagged)


@router.patch("/initiatives/{initiative_id}", summary="Activate an initiative or set its change date")
def initiative_update(initiative_id: str, body: InitiativeUpdate, ws: Writer) -> dict[str, Any]:
    return manage.update_initiative(ws, initiative_id, status=body.status, change_date=body.change_date)


@router.post("/initiatives/{initiative_id}/key_results", summary="Add a key result (its baseline is measured now)",
             status_code=201)
def key_result_add(initiative_id: str, body: NewKeyResult, ws: Writer) -> dict[str, Any]:
    return manage.add_key_result(ws, initiative_id, body.model_dump())


@router.get("/initiatives/{initiative_id}/progress", summary="Monthly summary of one initiative")
def progress_one(initiative_id: str, ws: Reader, month: Month = None, exclude_flagged: Flagged = None
                 ) -> dict[str, Any]:
    return manage.progress(ws, initiative_id, month=month, exclude_flagged=exclude_flagged)


@router.post("/initiatives/{initiative_id}/links", summary="Link holds and cases to an initiative")
def initiative_link(initiative_id: str, body: Links, ws: Writer) -> dict[str, Any]:
    return manage.link_initiative(ws, initiative_id, holds=body.holds, cases=body.cases)


@router.post("/initiatives/{initiative_id}/close", summary="Close an initiative (done releases its holds)")
def initiative_close(initiative_id: str, body: Closing, ws: Writer) -> dict[str, Any]:
    return manage.close_initiative(ws, initiative_id, status=body.status, reason=body.reason)


@router.post("/cards/runs", summary="Red/yellow cards of a month for every team (replaces that month's)",
             status_code=201)
def cards_run(body: CardsRun, ws: Writer) -> dict[str, Any]:
    return manage.run_cards(ws, month=body.month)


@router.get("/cards", summary="Stored cards by month and team (a department's user: their teams')")
def cards(ws: Reader, team: Opt = None, month: Month = None, limit: Limit = 100, cursor: Cursor = None
          ) -> dict[str, Any]:
    return manage.cards(ws, team=team, month=month, limit=limit, cursor=cursor)


@router.get("/stars", summary="Monthly CX stars: raw and shrunk scores, eligibility")
def stars(ws: Reader, month: Annotated[str, Query(min_length=7, max_length=7)],
          level: Literal["agent", "team"] = "agent", metric: Literal["3e", "nps", "csat"] | None = None,
          exclude_flagged: Flagged = None) -> dict[str, Any]:
    return manage.stars(ws, month=month, level=level, metric=metric, exclude_flagged=exclude_flagged)


@router.post("/integrity/runs", summary="Run every integrity check (replaces the stored flags)", status_code=201)
def integrity_run(ws: Writer) -> dict[str, Any]:
    return manage.run_integrity(ws)


@router.get("/integrity/flags", summary="Integrity flags with evidence (a department's user: their agents')")
def integrity_flags(ws: Reader, kind: Opt = None, agent_id: Opt = None, month: Month = None, limit: Limit = 100,
                    cursor: Cursor = None) -> dict[str, Any]:
    return manage.integrity_flags(ws, kind=kind, agent_id=agent_id, month=month, limit=limit, cursor=cursor)


@router.get("/kpis/tree", summary="The KPI tree measured for a month")
def kpis_tree(ws: Reader, month: Month = None, exclude_flagged: Flagged = None) -> dict[str, Any]:
    return manage.kpi_tree(ws, month=month, exclude_flagged=exclude_flagged)
