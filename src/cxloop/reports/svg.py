"""Small SVG charts for the reports (no JavaScript, so they render in a PDF): a monthly trend line with
its 95% confidence band, low-n points hollow."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["trend_svg"]


def trend_svg(rows: list[dict[str, Any]], *, width: int = 460, height: int = 150, label: str = "") -> str:
    """A line of `value` per `month` with the `ci_low`..`ci_high` band; '' without data."""
    points = [r for r in rows if r.get("value") is not None]
    if not points:
        return ""
    lows = [float(r.get("ci_low", r["value"])) for r in points]
    highs = [float(r.get("ci_high", r["value"])) for r in points]
    lo, hi = min(lows), max(highs)
    span = (hi - lo) or 1.0
    left, right, top, bottom = 40, 10, 10, 24
    step = (width - left - right) / max(1, len(points) - 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: float) -> float:
        return top + (hi - v) / span * (height - top - bottom)

    band = [f"{x(i):.1f},{y(h):.1f}" for i, h in enumerate(highs)]
    band += [f"{x(i):.1f},{y(v):.1f}" for i, v in reversed(list(enumerate(lows)))]
    line = " ".join(f"{x(i):.1f},{y(float(r['value'])):.1f}" for i, r in enumerate(points))
    dots = "".join(
        f'<circle cx="{x(i):.1f}" cy="{y(float(r["value"])):.1f}" r="3" '
        f'fill="{"#ffffff" if r.get("low_n") else "#0b57d0"}" stroke="#0b57d0"/>' for i, r in enumerate(points))
    ticks = "".join(
        f'<text x="{x(i):.1f}" y="{height - 6}" font-size="9" text-anchor="middle">'
        f'{escape(str(r.get("month", ""))[2:7])}</text>' for i, r in enumerate(points))
    axis = (f'<text x="2" y="{y(hi) + 4:.1f}" font-size="9">{hi:.0f}</text>'
            f'<text x="2" y="{y(lo):.1f}" font-size="9">{lo:.0f}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(label)}"><polygon points="{" ".join(band)}" fill="#0b57d0" fill-opacity="0.15"/>'
            f'<polyline points="{line}" fill="none" stroke="#0b57d0" stroke-width="2"/>{dots}{ticks}{axis}</svg>')
