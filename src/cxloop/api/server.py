"""The REST API (`/api/v1/`), its OpenAPI schema and vendored docs, and the browser login: one FastAPI app
over one workspace. Routes are thin: parse, call the app layer, return its dict.

Conventions (docs/api.md): plural nouns; `limit`/`cursor` pages; filters named like the CLI's options; ISO
times; errors as `{"error": {code, message, file, row, field}}` with one status per family
(`api.problems`); every data route needs a credential (`api.auth`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from cxloop import __version__
from cxloop.api import (
    pages,
    routes_admin,
    routes_analytics,
    routes_catalog,
    routes_data,
    routes_ingest,
    routes_loop,
)
from cxloop.api.auth import ApiState
from cxloop.api.guards import BodyLimitMiddleware, SecurityHeadersMiddleware
from cxloop.api.problems import install_error_handlers

__all__ = ["create_app"]

_SWAGGER = Path(fastapi_offline.__file__).parent / "static"
_STATIC = Path(__file__).parent / "static"
_DOCS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cxloop API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/cxloop/docs.js"></script></body></html>
"""
_PUBLIC = {"/health"}


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema.setdefault("components", {})["securitySchemes"] = {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API token: cxloop tokens create"},
        "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "cxloop_session",
                       "description": "The browser session of /login (writes need X-CSRF-Token)"},
    }
    for path, item in schema.get("paths", {}).items():
        if path in _PUBLIC:
            continue
        for operation in item.values():
            operation["security"] = [{"bearerAuth": []}, {"cookieAuth": []}]
    app.openapi_schema = schema
    return schema


def create_app(root: Path) -> FastAPI:
    """A FastAPI app serving the workspace at `root`."""
    state = ApiState.for_workspace(root)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.keep_index_fresh(now=True)  # in the background: the server answers at once
        yield
        state.gate.close()  # the workspace file is free the moment the server stops

    app = FastAPI(title="cxloop", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Customer-experience data of one cxloop workspace. 客户体验数据接口。"
                              " Conventions, roles and scoping: docs/api.md.")
    app.state.cx = state
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, settings=state.settings)
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static/swagger", StaticFiles(directory=_SWAGGER), name="swagger")
    app.mount("/static/cxloop", StaticFiles(directory=_STATIC), name="cxloop-static")

    @app.get("/health", summary="Liveness (no credential needed)", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS)

    for module in (routes_data, routes_analytics, routes_ingest, routes_catalog, routes_loop, routes_admin, pages):
        app.include_router(module.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
