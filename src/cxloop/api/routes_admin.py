"""Routes about people: who am I (and my CSRF token), users, and the audit log (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from cxloop.access import MATRIX, Permission
from cxloop.api.auth import SESSION_COOKIE, access
from cxloop.api.problems import ERROR_RESPONSES
from cxloop.app.audit_service import list_audit
from cxloop.app.sessions_service import session_principal
from cxloop.app.users_service import list_users
from cxloop.app.workspace import Workspace

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["access"])

Anyone = Annotated[Workspace, Depends(access(None))]
Admin = Annotated[Workspace, Depends(access(Permission.users_manage))]
Auditor = Annotated[Workspace, Depends(access(Permission.audit_read))]


@router.get("/session", summary="Who the credential belongs to, their rights and (browser) CSRF token")
def whoami(request: Request, ws: Anyone) -> dict[str, Any]:
    p = ws.principal
    csrf = None
    if p.via == "session":
        csrf = session_principal(ws, request.cookies.get(SESSION_COOKIE, ""))[1]
    return {"user": p.name, "role": p.role.value, "department": p.department, "partner": p.partner, "pii": p.pii,
            "via": p.via, "permissions": sorted(x.value for x in MATRIX[p.role]), "csrf_token": csrf}


@router.get("/users", summary="Users with their role, scope and live tokens (admin)")
def users(ws: Admin) -> dict[str, Any]:
    return {"users": list_users(ws)}


@router.get("/audit", summary="The audit log since a time (admin)")
def audit(ws: Auditor, since: Annotated[str, Query(max_length=40)] = "7d", actor: str | None = None,
          action: str | None = None, limit: Annotated[int, Query(ge=1, le=10000)] = 1000) -> dict[str, Any]:
    return {"audit": list_audit(ws, since=since, actor=actor, action=action, limit=limit)}
