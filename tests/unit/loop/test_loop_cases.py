"""The case workflow: legal moves, what closing requires, SLA deadlines."""

from __future__ import annotations

from datetime import datetime

import pytest

from cxloop.errors import UsageError
from cxloop.loop.cases import CaseState, due_at, moved

NEW = CaseState("new", "normal")


def test_the_happy_path_ends_closed_with_its_root_cause() -> None:
    s = moved(moved(moved(NEW, "in_progress"), "waiting_customer"), "resolved")
    closed = moved(s, "closed", root_cause_department="Logistics", resolution_code="replaced",
                   resolution_codes=("replaced",))
    assert (closed.status, closed.root_cause_department, closed.resolution_code) == ("closed", "Logistics", "replaced")


def test_an_illegal_move_names_the_allowed_ones() -> None:
    with pytest.raises(UsageError, match=r"cannot move to 'in_progress'; allowed: reopened"):
        moved(CaseState("closed", "high"), "in_progress")


def test_closing_requires_root_cause_and_resolution() -> None:
    with pytest.raises(UsageError, match="requires root_cause_department and resolution_code"):
        moved(NEW, "closed")
    with pytest.raises(UsageError, match="is not one of"):
        moved(NEW, "closed", root_cause_department="R&D", resolution_code="magic", resolution_codes=("fixed",))


def test_reopening_clears_the_root_cause() -> None:
    closed = moved(NEW, "closed", root_cause_department="R&D", resolution_code="fixed")
    assert moved(closed, "reopened").root_cause_department is None


def test_due_at_adds_the_priority_hours() -> None:
    assert due_at(datetime(2026, 1, 1), "high", {"high": 24}) == datetime(2026, 1, 2)
    with pytest.raises(UsageError):
        due_at(datetime(2026, 1, 1), "whenever", {"high": 24})
