"""The Andon rule on constructed reports: what is one issue, what is held and what is not."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from cxloop.loop.andon import AndonOptions, KnownHold, Reports, detect_issues
from cxloop.loop.terms import report_terms

DAY = 86_400
OPTS = AndonOptions(topics=frozenset({"quality.charging", "quality.screen"}))


def _reports(rows: list[dict[str, Any]], start_day: float = 0.0) -> Reports:
    """rows: day, product, customer, topic (or None), tokens; every row evaluated."""
    products = sorted({r["product"] for r in rows})
    topics = sorted({r["topic"] for r in rows if r.get("topic")})
    customers = sorted({r["customer"] for r in rows})
    return Reports(
        record_id=np.array([f"r{i}" for i in range(len(rows))], dtype=object),
        t=np.array([int(r["day"] * DAY) for r in rows], dtype=np.int64),
        product=np.array([products.index(r["product"]) for r in rows]),
        customer=np.array([customers.index(r["customer"]) for r in rows]),
        topic=np.array([topics.index(r["topic"]) if r.get("topic") else -1 for r in rows]),
        evaluate=np.ones(len(rows), dtype=bool), products=products, topics=topics,
        terms=report_terms(pa.array([r.get("tokens", []) for r in rows], pa.list_(pa.string())), products),
        data_start=int(start_day * DAY),
    )


def _row(day: float, product: str, customer: str, topic: str | None = None, tokens: tuple[str, ...] = ()) -> dict:
    return {"day": day, "product": product, "customer": customer, "topic": topic, "tokens": list(tokens)}


def test_three_customers_one_topic_in_three_days_hold_the_product() -> None:
    rows = [_row(d, "Pad Air", f"c{d}", "quality.charging") for d in (0, 1, 2)]
    rows += [_row(0, "Watch S", "w1", tokens=("表带", "断")), _row(1, "Watch S", "w2", tokens=("表带", "断"))]
    found = detect_issues(_reports(rows), OPTS, [])
    assert [(i.product, i.topic_id, i.stats["customers"]) for i in found.issues] == [("Pad Air", "quality.charging", 3)]
    assert sorted(found.issues[0].reports.tolist()) == [0, 1, 2]


def test_three_issues_on_one_product_are_not_held() -> None:
    rows = [_row(0, "X1", "a", "quality.charging", ("充电口",)), _row(1, "X1", "b", "quality.screen", ("屏幕", "碎")),
            _row(2, "X1", "c", None, ("表带", "质量", "太差"))]
    assert detect_issues(_reports(rows), OPTS, []).issues == []


def test_two_customers_on_three_records_are_not_held() -> None:
    # the resolved customer behind two phone numbers is one customer
    rows = [_row(0, "X1", "a", "quality.charging"), _row(1, "X1", "a", "quality.charging"),
            _row(2, "X1", "b", "quality.charging")]
    assert detect_issues(_reports(rows), OPTS, []).issues == []


def test_three_customers_spread_over_more_than_the_window_are_not_held() -> None:
    rows = [_row(d, "X1", f"c{d}", "quality.charging") for d in (0, 5, 12)]
    assert detect_issues(_reports(rows), OPTS, []).issues == []


def test_a_topic_not_marked_for_andon_is_not_held() -> None:
    rows = [_row(d, "X1", f"c{d}", "service.wait") for d in (0, 1, 2)]
    assert detect_issues(_reports(rows), OPTS, []).issues == []


def test_an_unknown_issue_is_one_issue_across_its_wordings() -> None:
    words = [("触点", "发绿"), ("触点", "绿锈"), ("金属", "触点", "发绿"), ("铜绿", "金属"), ("触点", "发绿")]
    rows = [_row(d / 4, "Buds", f"c{d}", tokens=words[d % len(words)]) for d in range(10)]
    found = detect_issues(_reports(rows), OPTS, [])
    assert len(found.issues) == 1
    issue = found.issues[0]
    assert issue.kind == "terms" and set(issue.terms) == {"触点", "发绿"}
    # its evidence: every report with one of the terms that fired (铜绿 / 金属 alone were too few to fire)
    assert issue.reports.tolist() == [i for i in range(10) if {"触点", "发绿"} & set(words[i % len(words)])]


def test_generic_words_and_product_names_are_not_an_issue() -> None:
    rows = [_row(d, "Watch S", f"c{d}", tokens=("watch", "质量", "太差", "失望", t)) for d, t in
            enumerate(("表带", "屏幕", "电池"))]
    assert detect_issues(_reports(rows), OPTS, []).issues == []


def _chronic(weeks: int, per_week: int, burst: int) -> list[dict[str, Any]]:
    """`per_week` charging reports a week on X1 among three times as many about waiting, then a burst;
    another product with a chronic screen issue the same way."""
    rows = []
    for product, topic in (("X1", "quality.charging"), ("Other", "quality.screen")):
        for w in range(weeks):
            rows += [_row(w * 7 + i * 7 / per_week, product, f"{product}{w}-{i}", topic) for i in range(per_week)]
            rows += [_row(w * 7 + i * 7 / (3 * per_week), product, f"{product}w{w}-{i}", "service.wait")
                     for i in range(3 * per_week)]
    rows += [_row(weeks * 7 + i * 0.1, "X1", f"b{i}", "quality.charging") for i in range(burst)]
    return rows


def test_a_chronic_topic_with_its_usual_weekly_count_is_not_held() -> None:
    assert detect_issues(_reports(_chronic(10, 6, 6)), OPTS, []).issues == []


def test_a_burst_far_above_the_products_history_is_held_with_its_reason() -> None:
    found = detect_issues(_reports(_chronic(10, 2, 25)), OPTS, [])
    assert len(found.issues) == 1
    stats = found.issues[0].stats
    assert stats["history"] > 0 and stats["p_own"] < OPTS.alpha and stats["history_days"] == 56


def test_later_reports_of_an_issue_on_hold_are_evidence_not_a_second_hold() -> None:
    rows = [_row(d, "Pad Air", f"c{d}", "quality.charging") for d in (0, 1, 2, 3)]
    reports = _reports(rows)
    held = KnownHold("HD-1", "Pad Air", "quality.charging", (), on_hold=True, last_t=2 * DAY)
    found = detect_issues(reports, OPTS, [held])
    assert found.issues == [] and found.evidence["HD-1"].tolist() == [0, 1, 2, 3]


def test_a_released_issue_fires_again_only_after_its_last_evidence() -> None:
    rows = [_row(d, "Pad Air", f"c{d}", "quality.charging") for d in (0, 1, 2)]
    rows += [_row(30 + i / 8, "Pad Air", f"n{i}", "quality.charging") for i in range(8)]
    released = KnownHold("HD-1", "Pad Air", "quality.charging", (), on_hold=False, last_t=2 * DAY)
    opts = AndonOptions(topics=OPTS.topics, history_days=7, alpha=0.01)
    found = detect_issues(_reports(rows), opts, [released])
    # the first three are the released hold's; the new burst fires at its 7th customer (0.5**7 < 0.01)
    assert [(i.opened_t // DAY, i.stats["customers"]) for i in found.issues] == [(30, 7)]
