"""The dashboard: the REST API's app (`cxloop.api.create_app`) with the pages mounted at `/`.

One process, one auth: pages use the API's `access` dependency through `web.context.page`, so a page
shows exactly what the same user gets from the API (scope, masking, audit). Static files (CSS, the chart
code and the vendored ECharts) are served from the package: the dashboard works with no network.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from cxloop.api import create_app as create_api
from cxloop.web import routes_act, routes_data, routes_insight, routes_journeys, routes_overview
from cxloop.web.context import LoginRequired, PageForbidden
from cxloop.web.i18n import choose_lang, translate

__all__ = ["create_app"]

_STATIC = Path(__file__).parent / "static"


def _login_redirect(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse("/login?next=" + quote(exc.next_url, safe="/"), status_code=303)


def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageForbidden)
    lang = choose_lang(request)
    title = translate(lang, "error.forbidden")
    html_lang = "zh-CN" if lang == "zh" else "en"
    return HTMLResponse(f"<!doctype html><html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">"
                        f"<title>403 · cxloop</title></head><body><main><h1>403 {title}</h1>"
                        f"<p><a href=\"/\">cxloop</a></p></main></body></html>", status_code=403)


def create_app(root: Path) -> FastAPI:
    """The API over the workspace at `root`, with the dashboard's pages and static files."""
    app = create_api(root)
    app.mount("/static/web", StaticFiles(directory=_STATIC), name="web-static")
    app.add_api_route("/favicon.ico", lambda: FileResponse(_STATIC / "favicon.svg", media_type="image/svg+xml"),
                      include_in_schema=False)
    app.add_exception_handler(LoginRequired, _login_redirect)
    app.add_exception_handler(PageForbidden, _forbidden)
    for module in (routes_overview, routes_insight, routes_journeys, routes_act, routes_data):
        app.include_router(module.router)
        if hasattr(module, "api"):
            app.include_router(module.api)
    app.openapi_schema = None
    return app
