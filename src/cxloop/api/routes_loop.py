"""Routes of the inner loop: alerts, Andon holds and cases (department-scoped, masked, audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from cxloop.access import Permission
from cxloop.api.auth import access
from cxloop.api.problems import ERROR_RESPONSES
from cxloop.app import loop_access as loop
from cxloop.app.workspace import Workspace

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["loop"])

Reader = Annotated[Workspace, Depends(access(Permission.loop_read))]
Writer = Annotated[Workspace, Depends(access(Permission.loop_write))]
Opt = str | None
Limit = Annotated[int, Query(ge=1, le=1000)]


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=5000)


class Release(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    initiative_id: str | None = Field(None, max_length=100)


class NewCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=500)
    customer_id: str | None = Field(None, max_length=100)
    product: str | None = Field(None, max_length=100)
    priority: str = Field("normal", max_length=20)
    owner: str | None = Field(None, max_length=100)
    team: str | None = Field(None, max_length=100)
    department: str | None = Field(None, max_length=100)
    records: list[str] = Field(default_factory=list, max_length=1000)


class CaseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: str | None = Field(None, max_length=100)
    team: str | None = Field(None, max_length=100)
    department: str | None = Field(None, max_length=100)
    status: str | None = Field(None, max_length=30)
    root_cause_department: str | None = Field(None, max_length=100)
    resolution_code: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=5000)


@router.get("/alerts", summary="Alerts, newest data first (a department's user: their department's)")
def alerts(ws: Reader, status: Opt = None, rule: Opt = None, since: Opt = None, product: Opt = None,
           department: Opt = None, limit: Limit = 100) -> dict[str, Any]:
    return loop.alerts(ws, status=status, rule=rule, since=since, product=product, department=department,
                       limit=limit)


@router.post("/alerts/{alert_id}/ack", summary="Acknowledge an alert")
def alert_ack(alert_id: str, ws: Writer, body: Note | None = None) -> dict[str, Any]:
    return loop.set_alert(ws, alert_id, "acked", note=body.note if body else None)


@router.post("/alerts/{alert_id}/close", summary="Close an alert")
def alert_close(alert_id: str, ws: Writer, body: Note | None = None) -> dict[str, Any]:
    return loop.set_alert(ws, alert_id, "closed", note=body.note if body else None)


@router.get("/holds", summary="Andon holds (products on hold, and released ones)")
def holds(ws: Reader, status: Opt = None, product: Opt = None) -> dict[str, Any]:
    return loop.holds(ws, status=status, product=product)


@router.post("/holds/{hold_id}/release", summary="Release a hold, with a reason")
def hold_release(hold_id: str, body: Release, ws: Writer) -> dict[str, Any]:
    return loop.release(ws, hold_id, reason=body.reason, initiative_id=body.initiative_id)


@router.get("/cases", summary="Cases, most recently opened first (a department's user: their department's)")
def cases(ws: Reader, status: Opt = None, origin: Opt = None, owner: Opt = None, department: Opt = None,
          customer_id: Opt = None, product: Opt = None, limit: Limit = 100) -> dict[str, Any]:
    return loop.cases(ws, status=status, origin=origin, owner=owner, department=department, customer_id=customer_id,
                      product=product, limit=limit)


@router.post("/cases", summary="Open a case by hand", status_code=201)
def case_open(body: NewCase, ws: Writer) -> dict[str, Any]:
    return loop.open_case(ws, body.model_dump())


@router.get("/cases/{case_id}", summary="One case with its records and history")
def case(case_id: str, ws: Reader) -> dict[str, Any]:
    return loop.case(ws, case_id)


@router.post("/cases/{case_id}/{action}", summary="assign, move, close or note a case")
def case_change(case_id: str, action: Annotated[str, Path(pattern="^(assign|move|close|note)$")],
                body: CaseUpdate, ws: Writer) -> dict[str, Any]:
    return loop.case_change(ws, case_id, action, body.model_dump(exclude_none=True))
