"""Every page in a real browser: loads with no console error and no failed request, charts have data;
role scoping (partner) and masking (viewer) as the API does them; the case board's buttons; the upload."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from browser_support import OTHER_PARTNERS, PARTNER, Session

PAGES = ["/", "/painpoints", "/painpoints/drill?topic=quality.battery", "/journeys", "/customer?q=13060304938",
         "/alerts", "/holds", "/cases", "/initiatives", "/teams", "/integrity", "/data"]
PARTNER_PAGES = ["/", "/painpoints", "/journeys"]
MASKED_PHONE = re.compile(r"\b1\d{2}\*{4}\d{4}\b")
PHONE = re.compile(r"\b1[3-9]\d{9}\b")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_cleanly_in_both_languages(login: Callable[..., Session], path: str) -> None:
    s = login("boss")
    for lang in ("zh", "en"):
        s.open(path + ("&" if "?" in path else "?") + f"lang={lang}")
        charts = s.wait_charts()
        assert all(c["ready"] == "1" and int(c["points"]) > 0 for c in charts), (path, charts)
        assert s.page.get_attribute("html", "lang") == ("zh-CN" if lang == "zh" else "en")
    assert s.errors == [], s.errors


def test_partner_sees_only_its_partner(login: Callable[..., Session]) -> None:
    s = login("lb")
    for path in PARTNER_PAGES:
        s.open(path)
        s.wait_charts()
        html = s.page.content()
        assert not [name for name in OTHER_PARTNERS if name in html], path
    nav = s.page.inner_text("header nav")
    assert "告警" not in nav and "数据" not in nav  # no loop or ingest rights: no links
    response = s.page.goto(s.base + "/cases")
    assert response is not None and response.status == 403
    s.open("/")
    assert PARTNER in s.page.inner_text("header .who")


def test_viewer_sees_masked_phone_numbers(login: Callable[..., Session]) -> None:
    s = login("vic")
    s.open("/customer?q=13060304938")
    idents = s.page.inner_text("#identifiers")
    assert MASKED_PHONE.search(idents) and not PHONE.search(idents)
    s.open("/journeys")
    assert not PHONE.search(s.page.inner_text("main"))
    admin = login("boss")
    admin.open("/customer?q=13060304938")
    assert "13060304938" in admin.page.inner_text("#identifiers")


def test_case_board_moves_a_case_with_a_button(login: Callable[..., Session]) -> None:
    s = login("boss")
    s.open("/cases")
    card = s.page.locator("section[data-status=new] article.case").first
    case_id = card.get_attribute("id")
    card.locator("button", has_text="处理中").click()
    s.page.wait_for_load_state("networkidle")
    assert s.page.locator(f"section[data-status=in_progress] article#{case_id}").count() == 1
    assert s.page.locator(f"section[data-status=new] article#{case_id}").count() == 0
    assert s.errors == [], s.errors


def test_viewer_has_no_action_buttons(login: Callable[..., Session]) -> None:
    s = login("vic")
    s.open("/cases")
    assert s.page.locator("article.case button").count() == 0


def test_upload_previews_the_mapping_and_ingests_showing_rejects(login: Callable[..., Session],
                                                               tmp_path: Path) -> None:
    export = tmp_path / "web-upload.csv"
    export.write_text("手机,内容,时间,型号\n13900000001,屏幕有坏点,2026-10-20 09:00,X5\n"
                      "13900000002,物流太慢,2026-13-45 99:00,X5\n13900000003,不错,2026-10-21 10:00,X5\n",
                      encoding="utf-8")
    s = login("ana")
    s.open("/data")
    s.page.set_input_files("#upload input[name=file]", str(export))
    s.page.select_option("#upload select[name=channel]", "app")
    s.page.click("#upload button[type=submit]")
    s.page.wait_for_url(re.compile(r"/data/preview"))
    assert "内容" in s.page.inner_text("#preview-rows thead")
    assert s.page.input_value("#map_text") == "内容"  # guessed from the column name
    assert s.page.inner_text("#would-reject").endswith("1")
    assert "2026-13-45" in s.page.inner_text("#preview-rejects")
    s.page.click("#ingest button[type=submit]")
    s.page.wait_for_url(re.compile(r"/data\?batch="))
    result = s.page.inner_text("#ingest-result")
    assert "新增 2" in result and "拒绝 1" in result
    assert "occurred_at" in s.page.inner_text("#rejects")
    assert s.errors == [], s.errors
