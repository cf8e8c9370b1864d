"""The monthly report's content (`MonthlyReport`) and its renderers: HTML by a Jinja2 template, PDF by
WeasyPrint with the CJK font of the system (Debian `fonts-noto-cjk`), embedded so Chinese prints as glyphs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from cxloop.errors import ConfigError
from cxloop.reports.svg import trend_svg

__all__ = ["LABELS", "MonthlyReport", "render_html", "render_pdf"]

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)

LABELS: dict[str, tuple[str, str]] = {  # key: (zh, en)
    "title": ("客户体验月度报告", "Customer experience monthly report"),
    "partner_title": ("合作伙伴客户体验月报", "Partner customer experience report"),
    "summary": ("执行摘要", "Executive summary"),
    "metrics": ("核心指标", "Key metrics"),
    "metric": ("指标", "Metric"), "value": ("数值", "Value"), "n": ("样本 n", "n"), "ci": ("95% 置信区间", "95% CI"),
    "change": ("较上期", "vs previous"), "sig": ("显著", "significant"), "nsig": ("不显著", "not significant"),
    "low_n": ("样本不足，仅供参考", "low n: indicative only"),
    "nps": ("NPS 净推荐值", "NPS"), "csat": ("CSAT 满意度", "CSAT"), "3e": ("3E 指数", "3E index"),
    "painpoints": ("主要痛点", "Top pain points"), "topic": ("主题", "Topic"), "product": ("产品", "Product"),
    "volume": ("声量", "Volume"), "negative": ("负面占比", "Negative share"), "owner": ("责任部门", "Owner"),
    "drivers": ("关键驱动因素", "Key drivers"), "effect": ("对 NPS 的效应", "Effect on NPS"),
    "andon": ("Andon 停售", "Andon holds"), "customers": ("客户数", "Customers"), "since": ("开始", "Since"),
    "status": ("状态", "Status"), "alerts": ("告警", "Alerts"), "cases": ("工单", "Cases"),
    "initiatives": ("改进项目进展", "Initiative progress"), "stars": ("月度服务之星", "CX stars"),
    "integrity": ("指标诚信发现", "Integrity findings"), "none": ("无", "None"),
    "volumes": ("各渠道声量", "Volume by channel"), "channel": ("渠道", "Channel"), "records": ("条数", "Records"),
    "target": ("目标", "Target"), "current": ("当前", "Current"), "baseline": ("基线", "Baseline"),
    "agent": ("坐席", "Agent"), "team": ("团队", "Team"), "score": ("得分", "Score"), "kind": ("类型", "Kind"),
    "count": ("数量", "Count"), "open": ("未关闭", "open"), "trend": ("近 12 个月趋势", "Last 12 months"),
}


@dataclass
class MonthlyReport:
    month: str
    lang: str = "zh"
    title: str | None = None
    partner: str | None = None
    metrics: list[dict[str, Any]] = field(default_factory=list)
    painpoints: list[dict[str, Any]] = field(default_factory=list)
    drivers: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    initiatives: list[dict[str, Any]] = field(default_factory=list)
    stars: list[dict[str, Any]] = field(default_factory=list)
    integrity: list[dict[str, Any]] = field(default_factory=list)
    loop: bool = True
    min_n: int = 30


def _counts(items: list[dict[str, Any]], key: str) -> list[tuple[str, int]]:
    out: dict[str, int] = {}
    for item in items:
        out[str(item.get(key))] = out.get(str(item.get(key)), 0) + 1
    return sorted(out.items(), key=lambda kv: -kv[1])


def render_html(report: MonthlyReport) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG charts)."""
    i = 0 if report.lang == "zh" else 1

    def t(key: str) -> str:
        pair = LABELS.get(key)
        return key if pair is None else pair[i]

    charts = {m["metric"]: Markup(trend_svg(m.get("trend", []), label=t(m["metric"]))) for m in report.metrics}
    return _ENV.get_template("monthly.html").render(
        r=report, t=t, charts=charts, alert_counts=_counts(report.alerts, "rule"),
        case_counts=_counts(report.cases, "status"), flag_counts=_counts(report.integrity, "kind"))


def render_pdf(html: str) -> bytes:
    """The HTML rendered to PDF by WeasyPrint (fonts are embedded as subsets)."""
    try:
        from weasyprint import HTML
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigError("PDF reports need WeasyPrint: pip install 'cxloop[reports]' "
                          f"(and the system's fonts-noto-cjk for Chinese): {exc}") from None
    data: bytes = HTML(string=html).write_pdf()
    return data
