"""`/docs` in a real Chromium (Debian's, driven by Playwright): the vendored swagger-ui renders every
operation of /openapi.json with no network — every request the page makes goes to the server itself —
and without a console error (a Content-Security-Policy violation would be one)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Route

from cxloop.app import Workspace
from serve_support import running_server

CHROMIUM = os.environ.get("CXLOOP_CHROMIUM", "/usr/bin/chromium")
METHODS = {"get", "post", "put", "patch", "delete"}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"no Chromium at {CHROMIUM} (.ci/run installs "
                                                                        "Debian's chromium)")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`cxloop serve` on a free loopback port over an empty workspace."""
    root = tmp_path / "ws"
    Workspace.init(root).close()
    with running_server(root) as base:
        yield base


def test_docs_render_every_operation_offline(server: str, browser: Any) -> None:
    """`browser`: the session's Chromium (tests/browser/conftest.py; one Playwright per session)."""
    schema = httpx.get(f"{server}/openapi.json").json()
    operations = sum(1 for item in schema["paths"].values() for m in item if m in METHODS)
    outside: list[str] = []
    errors: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(server + "/"):
            route.continue_()
        else:  # a CDN, a font, a telemetry ping: the page must not need any
            outside.append(route.request.url)
            route.abort()

    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", only_the_server)
        page.goto(f"{server}/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        page.wait_for_function(f"document.querySelectorAll('.opblock').length >= {operations}", timeout=30_000)
        shown = page.locator(".opblock").count()
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        title = page.locator(".info .title").inner_text()
    finally:
        context.close()
    assert shown == operations and operations >= 40
    assert "/api/v1/records" in {p.replace("\u200b", "") for p in paths}
    assert "/api/v1/initiatives/{initiative_id}" in {p.replace("\u200b", "") for p in paths}
    assert title.startswith("cxloop")
    assert outside == [], outside
    assert errors == [], errors
