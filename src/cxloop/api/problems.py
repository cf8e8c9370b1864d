"""Errors as HTTP: one status per error family and the problem body `{"error": {code, message, file, row,
field}}` the CLI prints with `--format json`.

    UsageError 400 · AuthError 401 · Forbidden 403 · NotFound 404 · Conflict 409 · TooLarge 413 ·
    InputError (and request validation) 422 · RateLimited 429 · WorkspaceError, Busy 503 · anything else 500
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxloop.errors import (
    AuthError,
    Busy,
    Conflict,
    CxloopError,
    Forbidden,
    InputError,
    LimitExceeded,
    NotFound,
    RateLimited,
    TooLarge,
    UsageError,
    WorkspaceError,
)

__all__ = ["ERROR_RESPONSES", "STATUS", "ErrorBody", "install_error_handlers", "problem", "status_of"]

log = logging.getLogger("cxloop.api")

# Most specific family first.
STATUS: list[tuple[type[CxloopError], int]] = [
    (Forbidden, 403), (AuthError, 401), (NotFound, 404), (UsageError, 400), (TooLarge, 413),
    (RateLimited, 429), (LimitExceeded, 429), (InputError, 422), (Busy, 503), (WorkspaceError, 503),
    (Conflict, 409),
]


class ErrorDetail(BaseModel):
    code: str
    message: str
    file: str | None = None
    row: int | None = None
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


_DESCRIPTIONS = {
    400: "Bad request: a parameter has a wrong value (code usage)",
    401: "No valid credential: send Authorization: Bearer TOKEN or log in (code unauthorized)",
    403: "The user's role lacks the right, or the form's CSRF token is missing (code forbidden)",
    404: "No such resource, or not in the user's scope (code not_found)",
    409: "Conflicts with the current state (code conflict)",
    413: "Body or upload over the size limit (code too_large)",
    422: "Input invalid: names the field, file and row (code input or validation)",
    429: "Too many requests or failed logins; see Retry-After (code rate_limited)",
    503: "Workspace busy with another writer or unavailable; see Retry-After (code busy or workspace)",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in _DESCRIPTIONS.items()
}


def status_of(error: CxloopError) -> int:
    return next((code for family, code in STATUS if isinstance(error, family)), 500)


def problem(status: int, code: str, message: str, *, field: str | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "file": None, "row": None, "field": field}}
    return JSONResponse(body, status_code=status, headers=headers)


def _headers(exc: CxloopError, status: int) -> dict[str, str]:
    headers: dict[str, str] = {}
    retry = getattr(exc, "retry_after", None)
    if retry is not None:
        headers["Retry-After"] = str(retry)
    elif status == 503:
        headers["Retry-After"] = "2"
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="cxloop"'
    return headers


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CxloopError)
    async def _cxloop_error(_: Request, exc: CxloopError) -> JSONResponse:
        status = status_of(exc)
        if status == 500:
            log.error("internal error: %s", exc)
        return JSONResponse({"error": exc.to_dict()}, status_code=status, headers=_headers(exc, status))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path", "header", "cookie")]
        field = ".".join(loc) or None
        return problem(422, "validation", f"{field or 'request'}: {first.get('msg')}", field=field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        return problem(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return problem(500, "internal", f"internal error: {type(exc).__name__}")
