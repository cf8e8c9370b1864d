"""The typed query model: which metric, filtered how, grouped by what, over which window.

A `MetricQuery` is a small serialisable configuration (evidently's split of configuration and calculation);
`parse_query` turns CLI/API strings into one and rejects what cannot be answered with a clear message.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cxloop.errors import UsageError

__all__ = [
    "DIMENSIONS",
    "ENRICHMENT_DIMENSIONS",
    "GRAINS",
    "METRICS",
    "RECORD_DIMENSIONS",
    "MetricQuery",
    "Since",
    "parse_query",
    "parse_since",
]

METRICS = (
    "nps", "csat", "ces", "rating", "3e", "fcr", "repeat_contact", "transfer", "ivr_lost",
    "abandonment", "resolution_time",
)
GRAINS = ("day", "week", "month", "quarter")
RECORD_DIMENSIONS = (
    "source", "channel", "kind", "product", "journey_stage", "touchpoint", "agent_id", "team",
    "department", "partner", "region", "language",
)
ENRICHMENT_DIMENSIONS = ("topic_id", "sentiment", "emotion")
DIMENSIONS = RECORD_DIMENSIONS + ENRICHMENT_DIMENSIONS

_RELATIVE = re.compile(r"^(\d+)([dw])$")


class Since(BaseModel):
    """Start of the window: a local calendar date, or the last `days` local days up to the anchor."""

    model_config = ConfigDict(frozen=True)

    start: date | None = None
    days: int | None = None


class MetricQuery(BaseModel):
    """One metric query. `by` holds dimension names and at most one grain name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: Literal[
        "nps", "csat", "ces", "rating", "3e", "fcr", "repeat_contact", "transfer", "ivr_lost",
        "abandonment", "resolution_time",
    ]
    by: tuple[str, ...] = ()
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    since: Since | None = None
    asof: date | None = None
    compare: Literal["previous"] | None = None
    repeat_days: int = Field(default=7, ge=1, le=365)

    @property
    def grain(self) -> str | None:
        found = [d for d in self.by if d in GRAINS]
        return found[0] if found else None

    @property
    def dims(self) -> tuple[str, ...]:
        """The non-grain dimensions of `by`."""
        return tuple(d for d in self.by if d not in GRAINS)

    def filters(self) -> dict[str, tuple[str, ...]]:
        return dict(self.where)


def parse_since(text: str | None) -> Since | None:
    """`2026-01-01` (a local date) or `30d` / `4w` (relative to the anchor day, inclusive); `all` (or
    nothing) is the whole data."""
    if text is None or not text.strip() or text.strip().lower() == "all":
        return None
    text = text.strip()
    match = _RELATIVE.match(text)
    if match:
        n = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        if n < 1:
            raise UsageError(f"--since {text!r}: the window must be at least one day")
        return Since(days=n)
    try:
        return Since(start=date.fromisoformat(text))
    except ValueError:
        raise UsageError(f"--since {text!r}: use a date like 2026-01-01, a length like 30d or 4w, or all") from None


def _parse_by(by: str | list[str] | None) -> tuple[str, ...]:
    items: list[str] = []
    for chunk in [by] if isinstance(by, str) else (by or []):
        items.extend(p.strip() for p in chunk.split(",") if p.strip())
    for name in items:
        if name not in DIMENSIONS and name not in GRAINS:
            raise UsageError(
                f"--by {name!r} is not a dimension; use one of: {', '.join(GRAINS + DIMENSIONS)}"
            )
    if len({n for n in items if n in GRAINS}) > 1:
        raise UsageError("--by takes at most one time grain (day, week, month or quarter)")
    if len(set(items)) != len(items):
        raise UsageError("--by names a dimension twice")
    return tuple(items)


def _parse_where(where: list[str] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Repeated `FIELD=VALUE`: values of one field are OR-ed, different fields AND-ed."""
    out: dict[str, list[str]] = {}
    for item in where or []:
        field, sep, value = item.partition("=")
        field = field.strip()
        if not sep or not field:
            raise UsageError(f"--where {item!r}: use FIELD=VALUE, e.g. --where channel=hotline")
        if field not in DIMENSIONS:
            raise UsageError(f"--where {field!r} is not a dimension; use one of: {', '.join(DIMENSIONS)}")
        out.setdefault(field, []).append(value.strip())
    return tuple((k, tuple(v)) for k, v in sorted(out.items()))


def parse_query(
    metric: str,
    *,
    by: str | list[str] | None = None,
    where: list[str] | None = None,
    since: str | None = None,
    asof: str | date | None = None,
    compare: str | None = None,
    repeat_days: int = 7,
) -> MetricQuery:
    """Validate user strings into a `MetricQuery`; a `UsageError` says what is valid."""
    if metric not in METRICS:
        raise UsageError(f"unknown metric {metric!r}; use one of: {', '.join(METRICS)}")
    if compare not in (None, "previous"):
        raise UsageError(f"--compare {compare!r}: only 'previous' is supported")
    if isinstance(asof, str):
        try:
            asof = date.fromisoformat(asof)
        except ValueError:
            raise UsageError(f"--asof {asof!r}: use a date like 2026-03-31") from None
    query = MetricQuery.model_validate(
        {
            "metric": metric,
            "by": _parse_by(by),
            "where": _parse_where(where),
            "since": parse_since(since),
            "asof": asof,
            "compare": compare,
            "repeat_days": repeat_days,
        }
    )
    if query.compare and query.since is None and query.grain is None:
        raise UsageError("--compare previous needs a window (--since) or a time grain in --by")
    return query
