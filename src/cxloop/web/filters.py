"""The global filters of every page (period, channel, product, department): read from the URL, so a view
can be shared by its link, and turned into the `since` / `where` arguments the app functions take."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

__all__ = ["PERIODS", "GlobalFilters"]

PERIODS = ("30d", "90d", "180d", "365d", "all")
DEFAULT_PERIOD = "365d"
_FIELDS = ("channel", "product", "department")


@dataclass(frozen=True)
class GlobalFilters:
    period: str = DEFAULT_PERIOD
    channel: str | None = None
    product: str | None = None
    department: str | None = None

    @classmethod
    def from_request(cls, request: Request) -> GlobalFilters:
        q = request.query_params
        period = q.get("period") or DEFAULT_PERIOD
        values = {f: (q.get(f) or "").strip()[:100] or None for f in _FIELDS}
        return cls(period=period if period in PERIODS else DEFAULT_PERIOD, **values)

    @property
    def since(self) -> str:
        return self.period

    def where(self) -> list[str]:
        """`FIELD=VALUE` filters, as the metrics and pain points take them."""
        return [f"{f}={getattr(self, f)}" for f in _FIELDS if getattr(self, f)]

    def params(self, **extra: str | None) -> dict[str, str]:
        """The query parameters of this view (and `extra`), without empty ones."""
        base = {"period": self.period, **{f: getattr(self, f) for f in _FIELDS}}
        return {k: v for k, v in {**base, **extra}.items() if v}

    def query(self, **extra: str | None) -> str:
        """`?period=...&channel=...`: links between pages keep the filters."""
        return "?" + urlencode(self.params(**extra))

    def api_query(self, metric_by: str | None = None, **extra: str) -> str:
        """The query string of an API call with these filters (`where` repeated)."""
        pairs: list[tuple[str, str]] = [("since", self.since)]
        if metric_by:
            pairs.append(("by", metric_by))
        pairs += [("where", w) for w in self.where()]
        pairs += list(extra.items())
        return urlencode(pairs)

