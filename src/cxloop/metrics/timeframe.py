"""Time in the workspace timezone, portably: windows, grains and the UTC->local shift as Ibis expressions.

`occurred_at` is stored as naive UTC. Engines differ in timezone functions, so the local time is computed
as `occurred_at + offset`, where the offset is a literal interval, or for zones with daylight saving a
CASE over the zone's UTC transitions in the data's range (from `zoneinfo`) — exact and engine-neutral.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from cxloop.metrics.query import MetricQuery

__all__ = [
    "Window", "local_time", "period_key", "period_of_day", "previous_period", "resolve_window", "shift_period",
    "to_utc",
]

_TRUNC = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}


@dataclass(frozen=True)
class Window:
    """Half-open UTC interval [start, end); `None` means unbounded."""

    start: datetime | None
    end: datetime | None

    def previous(self) -> Window:
        if self.start is None or self.end is None:
            raise ValueError("an unbounded window has no previous window")
        return Window(self.start - (self.end - self.start), self.start)

    def days(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).total_seconds() / 86400


def to_utc(day: date, tz: str) -> datetime:
    """Local midnight of `day` in `tz` as a naive UTC datetime."""
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC).replace(tzinfo=None)


def local_date(ts: datetime, tz: str) -> date:
    return ts.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()


def resolve_window(query: MetricQuery, anchor: datetime | None, tz: str) -> Window:
    """The query's window in UTC. Relative windows count whole local days ending with the anchor's day.

    The anchor is `--asof` (a local date) or the latest `occurred_at` of the selection (exports are
    analysed after the fact, so "last 30 days" means the data's last 30 days, not the wall clock's).
    """
    if query.asof is not None:
        anchor_day: date | None = query.asof
    else:
        anchor_day = local_date(anchor, tz) if anchor is not None else None
    end = to_utc(anchor_day + timedelta(days=1), tz) if anchor_day else None
    since = query.since
    if since is None:
        return Window(None, end if query.asof is not None else None)
    if since.start is not None:
        return Window(to_utc(since.start, tz), end)
    if anchor_day is None:
        return Window(None, None)
    assert since.days is not None
    return Window(to_utc(anchor_day - timedelta(days=since.days - 1), tz), end)


@lru_cache(maxsize=16)
def _offsets(tz: str, lo: int = 2000, hi: int = 2040) -> tuple[tuple[datetime, timedelta], ...]:
    """(UTC instant from which an offset holds, offset) for the zone, scanning daily from lo to hi."""
    zone = ZoneInfo(tz)
    out: list[tuple[datetime, timedelta]] = []
    day = datetime(lo, 1, 1)
    last = datetime(hi, 1, 1)
    prev: timedelta | None = None
    while day < last:
        off = day.replace(tzinfo=UTC).astimezone(zone).utcoffset()
        assert off is not None
        if off != prev:
            if prev is not None:  # refine the change to the hour
                hour = day - timedelta(days=1)
                while hour.replace(tzinfo=UTC).astimezone(zone).utcoffset() == prev:
                    hour += timedelta(hours=1)
                out.append((hour, off))
            else:
                out.append((day, off))
            prev = off
        day += timedelta(days=1)
    return tuple(out)


def local_time(ts: ir.TimestampValue, tz: str) -> ir.TimestampValue:
    """`ts` (naive UTC) shifted to local wall time in `tz`, valid 2000..2040."""
    offsets = _offsets(tz)
    if len({off for _, off in offsets}) == 1:
        return ts + ibis.interval(seconds=int(offsets[0][1].total_seconds()))
    branches = []
    for (_, off), (nxt, _) in itertools.pairwise(offsets):
        branches.append((ts < ibis.literal(nxt), ts + ibis.interval(seconds=int(off.total_seconds()))))
    final = ts + ibis.interval(seconds=int(offsets[-1][1].total_seconds()))
    return ibis.cases(*branches, else_=final)


def period_key(ts: ir.TimestampValue, grain: str, tz: str) -> ir.DateValue:
    """The local calendar start of the period (ISO week starts Monday) containing `ts`."""
    local = local_time(ts, tz)
    return local.date() if grain == "day" else local.truncate(_TRUNC[grain]).date()


def period_of_day(day: ir.DateValue, grain: str) -> ir.DateValue:
    """The start of the period (ISO week starts Monday) containing the local date `day`: a metric
    aggregated per day first is rolled up to coarser grains on a few thousand rows, not millions."""
    return day if grain == "day" else day.truncate(_TRUNC[grain]).cast("date")


def shift_period(start: date, grain: str, steps: int) -> date:
    """Start of the period `steps` periods after (negative: before) the one starting at `start`."""
    if grain == "day":
        return start + timedelta(days=steps)
    if grain == "week":
        return start + timedelta(days=7 * steps)
    months = (1 if grain == "month" else 3) * steps
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def previous_period(start: date, grain: str) -> date:
    """Start of the period before the one starting at `start`."""
    return shift_period(start, grain, -1)
