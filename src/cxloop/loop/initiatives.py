"""Initiatives (the outer loop): statuses, key-result progress and review dates — pure rules, no I/O.

An initiative moves `proposed -> active -> done | dropped` (a proposed one may also be dropped); done and
dropped are final. A key result's progress is measured, never typed in: `attainment` is the share of the
way from baseline to target covered by the current value, and its status compares that with the share of
the time from the baseline's end to the due date that has passed — in data time (the latest
`occurred_at`), never the wall clock.
"""

from __future__ import annotations

from datetime import date

from cxloop.errors import Conflict, UsageError

__all__ = [
    "LOWER_IS_BETTER",
    "STATUSES",
    "attainment",
    "check_transition",
    "default_direction",
    "elapsed_share",
    "kr_status",
    "month_bounds",
    "next_review",
    "parse_month",
]

STATUSES = ("proposed", "active", "done", "dropped")
_NEXT = {"proposed": ("active", "dropped"), "active": ("done", "dropped"), "done": (), "dropped": ()}
LOWER_IS_BETTER = frozenset({"repeat_contact", "transfer", "abandonment", "ivr_lost", "mention_share"})


def check_transition(current: str, new: str) -> None:
    """Raise unless `current -> new` is allowed."""
    if new not in STATUSES:
        raise UsageError(f"status {new!r}: use one of {', '.join(STATUSES)}", field="status")
    if new == current:
        return
    if new not in _NEXT[current]:
        allowed = ", ".join(_NEXT[current]) or "none (it is closed)"
        raise Conflict(f"an initiative that is {current} cannot become {new}; next statuses: {allowed}")


def default_direction(metric: str) -> str:
    """Which way is better: rates of failure and mention shares go down, scores go up."""
    return "lower" if metric in LOWER_IS_BETTER else "higher"


def attainment(baseline: float | None, current: float | None, target: float | None) -> float | None:
    """(current - baseline) / (target - baseline): 0 at the baseline, 1 at the target (either direction)."""
    if baseline is None or current is None or target is None or target == baseline:
        return None
    return (current - baseline) / (target - baseline)


def kr_status(baseline: float | None, current: float | None, target: float | None, direction: str,
              elapsed: float | None) -> str:
    """achieved | on_track | behind | no_target | no_data."""
    if current is None:
        return "no_data"
    if target is None:
        return "no_target"
    if (current >= target) if direction == "higher" else (current <= target):
        return "achieved"
    share = attainment(baseline, current, target)
    if share is None or elapsed is None:
        return "behind"
    return "on_track" if share >= min(max(elapsed, 0.0), 1.0) else "behind"


def parse_month(text: str) -> date:
    """`2026-10` -> 2026-10-01 (a local calendar month)."""
    try:
        year, month = (int(p) for p in text.strip().split("-")[:2])
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise UsageError(f"--month {text!r}: use a month like 2026-10", field="month") from None


def month_bounds(month: date) -> tuple[date, date]:
    """First day of the month and first day of the next one."""
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return month.replace(day=1), nxt


def next_review(month: date, review_day: int) -> date:
    """The monthly review after `month`: day `review_day` of the next month."""
    return month_bounds(month)[1].replace(day=review_day)


def elapsed_share(start: date | None, due: date | None, today: date | None) -> float | None:
    """Share of [start, due] passed at `today` (data time)."""
    if start is None or due is None or today is None or due <= start:
        return None
    return (today - start) / (due - start)
