"""The dashboard's pure parts: translations complete, filters round-trip through the URL, highlighting is
escaped; the report's SVG chart."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request

import cxloop.web
from cxloop.loop.cases import CASE_STATUSES
from cxloop.reports import trend_svg
from cxloop.web.filters import PERIODS, GlobalFilters
from cxloop.web.i18n import MESSAGES, translate
from cxloop.web.routes_insight import highlight

TEMPLATES = Path(cxloop.web.__file__).parent / "templates"


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": []})


def test_every_label_used_by_a_template_exists_in_both_languages() -> None:
    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z0-9_.]+)'", path.read_text(encoding="utf-8")))
    assert used, "no labels found"
    dynamic = {f"period.{p}" for p in PERIODS} | {f"case.{s}" for s in CASE_STATUSES}
    dynamic |= {f"alerts.status.{s}" for s in ("open", "acked", "closed", "all")}
    missing = sorted(k for k in (used | dynamic) if not k.endswith(".") and k not in MESSAGES)
    assert missing == []
    assert all(zh.strip() and en.strip() for zh, en in MESSAGES.values())
    assert translate("en", "nav.overview") == "Overview" and translate("zh", "nav.overview") == "总览"


def test_filters_round_trip_through_the_url() -> None:
    f = GlobalFilters.from_request(_request("period=90d&channel=hotline&product=X5%20Pro&department="))
    assert f.where() == ["channel=hotline", "product=X5 Pro"]
    assert GlobalFilters.from_request(_request(f.query()[1:])) == f
    assert "where=channel%3Dhotline" in f.api_query("month")
    assert GlobalFilters.from_request(_request("period=999d")).period == "365d"  # unknown: the default


def test_highlight_marks_words_and_escapes_the_rest() -> None:
    out = str(highlight("<b>电池</b> Battery drains 电池", ["电池", "battery"]))
    assert out.count("<mark>") == 3 and "&lt;b&gt;" in out and "<b>" not in out


def test_trend_svg_draws_a_band_and_hollow_low_n_points() -> None:
    rows = [{"month": "2026-09-01", "value": 10.0, "ci_low": 2.0, "ci_high": 18.0, "low_n": False},
            {"month": "2026-10-01", "value": 20.0, "ci_low": 5.0, "ci_high": 35.0, "low_n": True}]
    svg = trend_svg(rows, label="NPS")
    assert svg.startswith("<svg") and "<polygon" in svg and 'fill="#ffffff"' in svg and "26-10" in svg
    assert trend_svg([]) == ""
