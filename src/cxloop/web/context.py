"""What every page handler gets: the workspace acting as the logged-in user (the API's own `access`
dependency, so scoping, masking, rate limits and audit are the API's), the language, the global filters
and the session's CSRF token for the page's forms; and `render`, which fills the shared layout.

A request without a valid session is redirected to `/login?next=<this page>`; a role without the page's
right gets a 403 page, not a JSON body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from cxloop.access import Permission, Principal
from cxloop.api.auth import CSRF_HEADER, SESSION_COOKIE, access, client_of, state_of
from cxloop.app.sessions_service import session_principal
from cxloop.app.workspace import Workspace
from cxloop.errors import AuthError, Forbidden
from cxloop.web.filters import PERIODS, GlobalFilters
from cxloop.web.i18n import LANG_COOKIE, choose_lang, translate

__all__ = ["LoginRequired", "Page", "PageForbidden", "back", "form_page", "page", "render", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["day"] = lambda v: "" if v is None else str(v)[:10]
templates.env.filters["minute"] = lambda v: "" if v is None else str(v).replace("T", " ")[:16]

# (path, label key, permission): the navigation, shown only where the user has the right
NAV: tuple[tuple[str, str, Permission], ...] = (
    ("/", "nav.overview", Permission.metrics_read),
    ("/painpoints", "nav.painpoints", Permission.metrics_read),
    ("/journeys", "nav.journeys", Permission.journeys_read),
    ("/customer", "nav.customer", Permission.customers_read),
    ("/alerts", "nav.alerts", Permission.loop_read),
    ("/holds", "nav.holds", Permission.loop_read),
    ("/cases", "nav.cases", Permission.loop_read),
    ("/initiatives", "nav.initiatives", Permission.loop_read),
    ("/teams", "nav.teams", Permission.loop_read),
    ("/integrity", "nav.integrity", Permission.loop_read),
    ("/data", "nav.data", Permission.ingest_read),
)


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class PageForbidden(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


@dataclass
class Page:
    request: Request
    ws: Workspace
    lang: str
    filters: GlobalFilters
    csrf: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def principal(self) -> Principal:
        return self.ws.principal

    def t(self, key: str, **values: object) -> str:
        return translate(self.lang, key, **values)

    def cached(self, name: str, params: dict[str, Any], compute: Callable[[], Any]) -> Any:
        """An aggregate (no row-level texts or identifiers) cached like the API's, per scope and data."""
        return state_of(self.request).cached(self.ws, "web." + name, params, compute)


def _csrf(ws: Workspace, request: Request) -> str:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return ""
    try:
        return session_principal(ws, cookie, client=client_of(request))[1]
    except AuthError:
        return ""


def page(permission: Permission) -> Callable[[Request], Iterator[Page]]:
    """A dependency: the `Page` of the logged-in user, who must hold `permission`."""
    guard = contextmanager(access(permission))

    def dependency(request: Request) -> Iterator[Page]:
        with ExitStack() as stack:
            try:
                ws = stack.enter_context(guard(request))
            except Forbidden as exc:  # a subclass of AuthError: checked first
                raise PageForbidden(exc.message) from None
            except AuthError:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                raise LoginRequired(target) from None
            yield Page(request, ws, choose_lang(request), GlobalFilters.from_request(request), _csrf(ws, request))

    return dependency


def form_page(permission: Permission) -> Callable[..., Iterator[Page]]:
    """A dependency for a page's form POST: like `page`, with the session's CSRF token taken from the
    form's `csrf_token` field (the API's `access` checks it as if sent in the `X-CSRF-Token` header)."""
    inner = page(permission)

    def dependency(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Iterator[Page]:
        headers = [(k, v) for k, v in request.scope["headers"] if k.lower() != CSRF_HEADER.lower().encode()]
        scope = {**request.scope, "headers": [*headers, (CSRF_HEADER.lower().encode(), csrf_token.encode())]}
        yield from inner(Request(scope, request.receive))

    return dependency


def back(p: Page, fallback: str) -> RedirectResponse:
    """After a form POST: back to the page the form was on (303, so a reload does not post again)."""
    target = p.request.query_params.get("back") or fallback
    return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else fallback,
                            status_code=303)


def render(p: Page, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    """The page `template` inside the layout, in the user's language; remembers `?lang=` in a cookie."""
    nav = [(path, p.t(key)) for path, key, perm in NAV if p.principal.can(perm)]
    context = {"p": p, "t": p.t, "lang": p.lang, "nav": nav, "f": p.filters, "periods": PERIODS,
               "path": p.request.url.path, "min_n": p.ws.settings.min_n, "perm_write": Permission.loop_write, **data}
    response = templates.TemplateResponse(p.request, template, context, status_code=status_code)
    if p.request.query_params.get("lang") == p.lang:
        response.set_cookie(LANG_COOKIE, p.lang, max_age=365 * 86400, samesite="strict", httponly=True)
    return response
