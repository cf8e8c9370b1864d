"""Browser tests: Playwright driving Debian's chromium (/usr/bin/chromium; `playwright install` cannot
download here) against a real `cxloop serve` on a 20k-record demo workspace with users of several roles."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import ARGS, CHROMIUM, USERS, Session, password

from serve_support import running_server


def _cx(*args: str | Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run([sys.executable, "-m", "cxloop.cli.main", *map(str, args)], capture_output=True,
                          text=True, check=False, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    reuse = os.environ.get("CXLOOP_WEB_DEMO")  # a prepared copy, to iterate quickly on the pages
    if reuse:
        return Path(reuse)
    folder = tmp_path_factory.mktemp("web_demo")
    root = folder / "ws"
    _cx("demo", root, "--records", "20000", "--seed", "7")
    for name, (role, extra) in USERS.items():
        _cx("users", "add", name, "--role", role, *extra, "-w", root, "--format", "json")
        _cx("users", "set-password", name, "-w", root, env={"CXLOOP_PASSWORD": password(name)})
    # the Act pages' data: an initiative with a key result, the month's cards and the integrity checks
    _cx("initiatives", "create", "--from-painpoint", "1", "--since", "90d", "--owner-dept", "Quality", "--status",
        "active", "--change-date", "2026-09-01", "-w", root, "--format", "json")
    _cx("initiatives", "kr", "add", "INI-0001", "--metric", "nps", "--target", "20", "--due", "2026-12-31", "-w", root,
        "--format", "json")
    _cx("cards", "run", "--month", "2026-10", "-w", root, "--format", "json")
    _cx("integrity", "run", "-w", root, "--format", "json")
    return root


@pytest.fixture(scope="session")
def server(demo_ws: Path) -> Iterator[str]:
    """A real `cxloop serve` on a free loopback port."""
    with running_server(demo_ws) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def login(browser: Any, server: str) -> Iterator[Callable[[str], Session]]:
    contexts: list[Any] = []

    def do(user: str, lang: str | None = None) -> Session:
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
        contexts.append(ctx)
        page = ctx.new_page()
        session = Session(page, server)
        page.on("console", lambda m: session.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: session.errors.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: session.errors.append(f"failed: {r.url}"))
        page.on("response", lambda r: session.errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
        page.goto(f"{server}/login")
        page.fill("input[name=user]", user)
        page.fill("input[name=password]", password(user))
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/")
        page.wait_for_load_state("networkidle")
        return session

    yield do
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="session")
def out_dir() -> Path:
    """Where screenshots go when CXLOOP_SCREENSHOTS is set (make screenshots)."""
    target = os.environ.get("CXLOOP_SCREENSHOTS")
    path = Path(target) if target else Path()
    if target:
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
    return path
