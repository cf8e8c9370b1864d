"""The overview in a real browser: login, no console error, charts with data, filters, zh/en, roles."""

from __future__ import annotations

import re
from collections.abc import Callable

from browser_support import Session


def _card_n(session: Session, metric: str) -> str:
    return str(session.page.inner_text(f'.card[data-metric="{metric}"] .n'))


def test_overview_loads_with_charts_and_no_errors(login: Callable[..., Session]) -> None:
    s = login("boss")
    s.open("/")
    charts = s.wait_charts()
    assert len(charts) == 4
    assert all(c["ready"] == "1" and int(c["points"]) > 0 for c in charts), charts
    assert s.page.locator(".banner .hold").count() >= 1  # the demo's Andon holds are on top
    assert "Buds Pro 2" in s.page.inner_text(".banner")
    assert s.errors == [], s.errors


def test_filter_changes_the_numbers_and_lives_in_the_url(login: Callable[..., Session]) -> None:
    s = login("boss")
    s.open("/")
    before = _card_n(s, "3e")
    s.page.select_option("select[name=channel]", "hotline")
    s.page.click("form.filters button[type=submit]")
    s.page.wait_for_load_state("networkidle")
    assert "channel=hotline" in s.page.url
    after = _card_n(s, "3e")
    assert re.search(r"n = \d+", after) and after != before
    s.wait_charts()
    assert s.errors == [], s.errors


def test_english_changes_the_labels(login: Callable[..., Session]) -> None:
    s = login("boss")
    s.open("/")
    assert "总览" in s.page.inner_text("h1")
    s.page.click("#lang-switch")
    s.page.wait_for_load_state("networkidle")
    assert s.page.inner_text("h1") == "Overview"
    assert s.page.get_attribute("html", "lang") == "en"
    s.open("/")  # remembered for this user's browser
    assert s.page.inner_text("h1") == "Overview"
    s.open("/?lang=zh")
    assert s.page.inner_text("h1") == "总览"
    assert s.errors == [], s.errors
