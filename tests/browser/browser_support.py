"""Shared by the browser tests: the demo's users and partners, and a logged-in browser `Session`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

CHROMIUM = os.environ.get("CXLOOP_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
PARTNER = "联保快修"
OTHER_PARTNERS = ("星澜授权服务中心(华南)", "星澜授权服务中心(华北)", "星澜授权服务中心(华东)")
USERS = {  # name: (role, extra options)
    "boss": ("admin", ["--pii"]),
    "ana": ("analyst", []),
    "vic": ("viewer", []),
    "lb": ("partner", ["--partner", PARTNER]),
}


def password(user: str) -> str:
    return f"pw-{user}-secret"


@dataclass
class Session:
    """One user's browser context; records console errors and failed requests of every page."""

    page: Any
    base: str
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, f"{path}: {response.status if response else None}"
        self.page.wait_for_load_state("networkidle")
        return response

    def wait_charts(self) -> list[dict[str, str]]:
        """Wait until every chart on the page has drawn (or failed); its data attributes."""
        self.page.wait_for_function(
            "Array.from(document.querySelectorAll('[data-chart]')).every(e => e.dataset.ready)", timeout=30000)
        return self.page.eval_on_selector_all("[data-chart]", "els => els.map(e => ({...e.dataset}))")
