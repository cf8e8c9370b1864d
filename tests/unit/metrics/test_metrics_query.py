"""Query parsing, windows and grains (pure, no database)."""

from __future__ import annotations

from datetime import date, datetime

import ibis
import pytest

from cxloop.errors import UsageError
from cxloop.metrics.query import parse_query
from cxloop.metrics.timeframe import Window, local_time, resolve_window, shift_period, to_utc


def test_parse_by_where_since() -> None:
    q = parse_query("nps", by="month,channel", where=["channel=app", "channel=hotline", "product=X1"],
                    since="30d", compare="previous")
    assert q.grain == "month" and q.dims == ("channel",)
    assert q.filters() == {"channel": ("app", "hotline"), "product": ("X1",)}
    assert q.since is not None and q.since.days == 30
    assert parse_query("nps", since="4w").since.days == 28  # type: ignore[union-attr]
    assert parse_query("nps", since="2026-01-01").since.start == date(2026, 1, 1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "happiness"}, "unknown metric 'happiness'; use one of: nps"),
        ({"metric": "nps", "by": "colour"}, "--by 'colour' is not a dimension"),
        ({"metric": "nps", "by": "month,week"}, "at most one time grain"),
        ({"metric": "nps", "where": ["channel"]}, "use FIELD=VALUE"),
        ({"metric": "nps", "where": ["colour=red"]}, "--where 'colour' is not a dimension"),
        ({"metric": "nps", "since": "yesterday"}, "use a date like 2026-01-01, a length like 30d or 4w, or all"),
        ({"metric": "nps", "compare": "previous"}, "needs a window (--since) or a time grain"),
        ({"metric": "nps", "asof": "31/03/2026"}, "--asof '31/03/2026'"),
    ],
)
def test_parse_errors_say_what_is_valid(kwargs: dict, message: str) -> None:
    metric = kwargs.pop("metric")
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_query(metric, **kwargs)


def test_relative_window_counts_local_days_ending_with_the_anchor() -> None:
    q = parse_query("nps", since="7d")
    # anchor 2026-03-10 17:00 UTC = 2026-03-11 01:00 Shanghai -> the 7 local days 03-05 .. 03-11
    w = resolve_window(q, datetime(2026, 3, 10, 17, 0), "Asia/Shanghai")
    assert w == Window(datetime(2026, 3, 4, 16, 0), datetime(2026, 3, 11, 16, 0))
    assert w.previous() == Window(datetime(2026, 2, 25, 16, 0), datetime(2026, 3, 4, 16, 0))
    asof = resolve_window(parse_query("nps", since="2026-03-01", asof="2026-03-31"), None, "UTC")
    assert asof == Window(datetime(2026, 3, 1), datetime(2026, 4, 1))
    assert resolve_window(parse_query("nps"), datetime(2026, 3, 1), "UTC") == Window(None, None)


def test_local_time_follows_daylight_saving() -> None:
    con = ibis.duckdb.connect()
    t = ibis.memtable({"ts": [datetime(2026, 1, 15, 12), datetime(2026, 7, 15, 12)]})
    out = con.to_pyarrow(t.select(local=local_time(t.ts, "Europe/Berlin")))["local"].to_pylist()
    assert [v.hour for v in out] == [13, 14]  # CET +1 in winter, CEST +2 in summer
    assert to_utc(date(2026, 7, 1), "Europe/Berlin") == datetime(2026, 6, 30, 22)


def test_shift_period() -> None:
    assert shift_period(date(2026, 1, 1), "month", -1) == date(2025, 12, 1)
    assert shift_period(date(2026, 1, 1), "quarter", 1) == date(2026, 4, 1)
    assert shift_period(date(2026, 3, 2), "week", -1) == date(2026, 2, 23)
