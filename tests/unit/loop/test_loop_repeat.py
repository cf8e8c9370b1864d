"""Repeat contacts about one problem: the customers who get a case."""

from __future__ import annotations

import pandas as pd

from cxloop.loop.repeat import repeat_problems


def _contacts(rows: list[tuple[str, str, str | None, str | None, str | None]]) -> pd.DataFrame:
    """rows: (customer, day, case_id, topic_id, product)"""
    return pd.DataFrame({
        "record_id": [f"r{i}" for i in range(len(rows))], "customer_id": [r[0] for r in rows],
        "occurred_at": pd.to_datetime([r[1] for r in rows]), "case_id": [r[2] for r in rows],
        "topic_id": [r[3] for r in rows], "product": [r[4] for r in rows], "evaluate": True,
    })


def test_five_contacts_linked_by_case_topic_and_product_are_one_problem() -> None:
    rows = [("A", "2026-06-10", "SR1", "software.app", "Buds"), ("A", "2026-06-12", "SR1", None, "Buds"),
            ("A", "2026-06-14", None, None, "Buds"), ("A", "2026-06-16", "SR1", "software.update", "Buds"),
            ("A", "2026-06-23", None, None, "Buds")]
    found = repeat_problems(_contacts(rows), min_contacts=5, days=30)
    assert [(p.customer_id, p.anchor, len(p.records)) for p in found] == [("A", "case:SR1", 5)]


def test_five_contacts_about_different_problems_or_too_far_apart_are_not_a_case() -> None:
    different = [("B", f"2026-06-{10 + i}", None, t, f"P{i}") for i, t in
                 enumerate(("a.x", "b.y", "c.z", "d.w", "e.v"))]
    apart = [("C", f"2026-0{m}-01", None, "service.wait", "X") for m in range(3, 8)]
    assert repeat_problems(_contacts(different + apart), min_contacts=5, days=30) == []


def test_only_problems_completed_by_new_contacts_are_reported() -> None:
    rows = [("A", f"2026-06-{10 + i}", "SR1", None, "X") for i in range(5)]
    frame = _contacts(rows)
    frame["evaluate"] = False
    assert repeat_problems(frame, min_contacts=5, days=30) == []
