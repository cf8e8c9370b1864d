"""Alert texts in zh and en; e-mail bodies escape what the data says."""

from __future__ import annotations

from cxloop.loop.messages import email_message, render


def test_titles_in_both_languages() -> None:
    zh = render("andon", "zh", product="Pad Air", issue="充电", customers=3, days=7, reason="")
    en = render("andon", "en", product="Pad Air", issue="charging", customers=3, days=7, reason="")
    assert zh[0] == "Andon 停售：Pad Air · 充电" and en[0] == "Andon hold: Pad Air · charging"
    assert "3 customers" in en[1]


def test_hostile_text_is_escaped_in_html_and_kept_as_text_in_plain() -> None:
    hostile = "<script>alert(1)</script>'; DROP TABLE alerts; --"
    alert = {"alert_id": "AL-1", "rule": "churn_risk", "severity": "warning", "title": hostile,
             "message": hostile, "department": None, "occurred_at": "2026-01-01T00:00:00"}
    subject, plain, html = email_message([alert], "en")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert hostile in plain and "\n" not in subject


def test_a_digest_names_how_many_alerts() -> None:
    alert = {"alert_id": "AL-1", "rule": "r", "severity": "info", "title": "t", "message": "m", "department": "D",
             "occurred_at": "x"}
    subject, _, _ = email_message([alert, {**alert, "alert_id": "AL-2"}], "zh")
    assert subject == "[cxloop] cxloop 告警汇总 (2)"
