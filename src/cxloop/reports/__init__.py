"""Reports: the monthly executive report and the partner report, rendered from plain dicts to HTML (with
SVG charts) and to PDF (WeasyPrint, an optional extra: `pip install cxloop[reports]`)."""

from cxloop.reports.monthly import MonthlyReport, render_html, render_pdf
from cxloop.reports.svg import trend_svg

__all__ = ["MonthlyReport", "render_html", "render_pdf", "trend_svg"]
