"""What the dashboard needs beyond the metrics: record volumes by month and channel, and the values its
filters offer. Both over the rows the principal may see (`scoped_sql`), with the metrics' window rules
(`since` counts local days back from the latest record of the selection)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cxloop.app.access import scoped_sql
from cxloop.app.workspace import Workspace
from cxloop.errors import UsageError
from cxloop.metrics.query import parse_query
from cxloop.metrics.timeframe import resolve_window

__all__ = ["FILTER_FIELDS", "filter_options", "latest_month", "volumes"]

FILTER_FIELDS = ("channel", "product", "department")


def _filters(where: list[str] | None) -> tuple[str, list[Any]]:
    """`FIELD=VALUE` filters (values of one field OR-ed) as a bound SQL predicate."""
    groups: dict[str, list[str]] = {}
    for item in where or []:
        name, sep, value = item.partition("=")
        if not sep or name not in FILTER_FIELDS:
            raise UsageError(f"filter {item!r}: use FIELD=VALUE with FIELD one of {', '.join(FILTER_FIELDS)}",
                             field="where")
        groups.setdefault(name, []).append(value)
    clauses = [f"{name} IN ({', '.join('?' for _ in values)})" for name, values in groups.items()]
    params = [v for values in groups.values() for v in values]
    return (" AND ".join(clauses) or "TRUE"), params


def volumes(ws: Workspace, *, since: str | None = None, where: list[str] | None = None) -> dict[str, Any]:
    """`{"rows": [{"month", "channel", "records"}], "window", "total"}`: records per local month and channel."""
    rel = scoped_sql(ws, "records")
    pred, params = _filters(where)
    anchor_row = ws.con.execute(f"SELECT max(occurred_at) FROM {rel} WHERE {pred}", params).fetchall()[0]
    anchor: datetime | None = anchor_row[0]
    window = resolve_window(parse_query("nps", since=since), anchor, ws.settings.timezone)
    bounds, bound_params = [], []
    if window.start is not None:
        bounds.append("occurred_at >= ?")
        bound_params.append(window.start.replace(tzinfo=None))
    if window.end is not None:
        bounds.append("occurred_at < ?")
        bound_params.append(window.end.replace(tzinfo=None))
    where_sql = " AND ".join([pred, *bounds])
    tz = ws.settings.timezone.replace("'", "")
    rows = ws.con.execute(
        f"SELECT strftime(date_trunc('month', (occurred_at AT TIME ZONE 'UTC') AT TIME ZONE '{tz}'), '%Y-%m') AS m, "
        f"coalesce(channel, '(none)') AS c, count(*) FROM {rel} WHERE {where_sql} GROUP BY 1, 2 ORDER BY 1, 2",
        params + bound_params,
    ).fetchall()
    out = [{"month": m, "channel": c, "records": int(n)} for m, c, n in rows]
    return {"rows": out, "total": sum(r["records"] for r in out),
            "window": {"start": window.start.isoformat() if window.start else None,
                       "end": window.end.isoformat() if window.end else None}}


def filter_options(ws: Workspace) -> dict[str, list[str]]:
    """The channels, products and departments present in the rows the principal may see."""
    rel = scoped_sql(ws, "records")
    out: dict[str, list[str]] = {}
    for name in FILTER_FIELDS:
        rows = ws.con.execute(f"SELECT DISTINCT {name} FROM {rel} WHERE {name} IS NOT NULL ORDER BY 1").fetchall()
        out[name] = [str(r[0]) for r in rows][:200]
    return out


def latest_month(ws: Workspace) -> str | None:
    """The local month (`YYYY-MM`) of the latest record the principal may see: the default month of the
    teams page and the monthly report."""
    rel = scoped_sql(ws, "records")
    tz = ws.settings.timezone.replace("'", "")
    row = ws.con.execute(
        f"SELECT strftime(max((occurred_at AT TIME ZONE 'UTC') AT TIME ZONE '{tz}'), '%Y-%m') FROM {rel}"
    ).fetchall()[0]
    return str(row[0]) if row[0] else None
