"""The browser login: a form page, the session cookie, logout. The dashboard's pages (issue 14) reuse the
session through `api.auth.access`.

The login form is protected by a double-submit CSRF token (cookie + hidden field) since there is no
session yet; once logged in, every form carries the session's own CSRF token (`csrf_token` field or the
`X-CSRF-Token` header). The session cookie is HttpOnly and SameSite=Strict, and Secure when the request
came over HTTPS (`[api] secure_cookies`).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import replace
from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxloop.api.auth import ANONYMOUS, SESSION_COOKIE, client_of, state_of
from cxloop.app.sessions_service import login, logout, session_principal
from cxloop.errors import AuthError, RateLimited

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "cxloop_login_csrf"

_PAGE = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>cxloop 登录 · Log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>cxloop</h1>
<p>{message}</p>
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<p><label>用户名 User <input name="user" autocomplete="username" required></label></p>
<p><label>密码 Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">登录 Log in</button></p>
</form></main></body></html>
"""


def _secure(request: Request) -> bool:
    mode = state_of(request).settings.secure_cookies
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def _form(request: Request, message: str, status: int, next_url: str = "/",
          headers: dict[str, str] | None = None) -> HTMLResponse:
    csrf = secrets.token_urlsafe(24)
    page = _PAGE.format(message=escape(message), csrf=csrf, next=escape(next_url))
    response = HTMLResponse(page, status_code=status, headers=headers)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=_secure(request),
                        path="/login")
    return response


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _form(request, "请登录 · Please log in", 200, _safe_next(next))


@router.post("/login")
def login_submit(
    request: Request, user: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _form(request, "表单已过期，请重试 · The form expired, try again", 403, _safe_next(next))
    state = state_of(request)
    try:
        anonymous = replace(ANONYMOUS, via="session", client=client_of(request))
        with state.gate.write_lock, state.gate.session(anonymous) as ws:
            session = login(ws, user, password, state.throttle, client=client_of(request))
    except RateLimited as exc:
        return _form(request, exc.message, 429, _safe_next(next), {"Retry-After": str(exc.retry_after or 60)})
    except AuthError as exc:
        return _form(request, exc.message, 401, _safe_next(next))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, session.cookie, httponly=True, samesite="strict", secure=_secure(request),
                        max_age=int(state.settings.session_hours * 3600), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout_submit(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        state = state_of(request)
        with state.gate.write_lock, state.gate.session(ANONYMOUS) as ws:
            try:
                principal, csrf = session_principal(ws, cookie, client=client_of(request))
            except AuthError:
                principal, csrf = None, None
            sent = csrf_token or request.headers.get("X-CSRF-Token", "")
            if principal is not None and csrf is not None:
                if not hmac.compare_digest(sent.encode(), csrf.encode()):
                    return _form(request, "缺少 CSRF 令牌 · Missing CSRF token", 403)
                ws.principal = principal
                logout(ws, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
