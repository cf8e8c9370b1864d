"""Alert titles and messages in Chinese and English, and the e-mail a sink sends (plain text + escaped HTML).

Texts from the data (verbatims, product names) go into HTML only through Jinja2's autoescape, so a
complaint holding `<script>` or SQL arrives as text, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, select_autoescape

__all__ = ["email_message", "render"]

_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "andon": {
        "zh": ("Andon 停售：{product} · {issue}",
               "{customers} 位客户在 {days} 天内反映同一问题。{reason}"),
        "en": ("Andon hold: {product} · {issue}", "{customers} customers reported the same issue within "
                                                   "{days} days. {reason}"),
    },
    "repeat_contact": {
        "zh": ("重复联系：客户 {customer} {days} 天内 {contacts} 次",
               "同一问题（{anchor}）{contacts} 次联系，已开工单。"),
        "en": ("Repeat contacts: customer {customer}, {contacts} in {days} days",
               "{contacts} contacts about one problem ({anchor}); a case was opened."),
    },
    "detractor": {
        "zh": ("贬损者：{product} {score}", "{channel} 渠道客户打分 {score}：{text}"),
        "en": ("Detractor: {product} {score}", "A customer on {channel} scored {score}: {text}"),
    },
    "churn_risk": {
        "zh": ("流失/升级风险：{product}", "负面文本含「{words}」：{text}"),
        "en": ("Churn or escalation risk: {product}", "Negative text with '{words}': {text}"),
    },
    "threshold": {
        "zh": ("{metric} 超出阈值：{scope}（{period}）",
               "{metric} = {value}（n = {n}，95% CI {ci}），阈值 {op} {limit}"),
        "en": ("{metric} past its threshold: {scope} ({period})",
               "{metric} = {value} (n = {n}, 95% CI {ci}); threshold {op} {limit}"),
    },
    "change": {
        "zh": ("{metric} 显著变化：{scope}（{period}）",
               "{metric} 从 {prev} 变为 {value}（变化 {delta}，p = {p}，n = {n}）"),
        "en": ("Significant {metric} change: {scope} ({period})",
               "{metric} went from {prev} to {value} (change {delta}, p = {p}, n = {n})"),
    },
    "emerging": {
        "zh": ("新兴问题：{product} · {label}", "{days} 天内 {observed} 条，基线预期 {expected}（p = {p}）"),
        "en": ("Emerging issue: {product} · {label}", "{observed} in {days} days against {expected} expected "
                                                      "(p = {p})"),
    },
    "sla": {
        "zh": ("工单超时：{case_id} · {title}", "工单 {case_id}（{priority}）已于 {due_at} 到期，状态 {status}。"),
        "en": ("Case past its SLA: {case_id} · {title}", "Case {case_id} ({priority}) was due {due_at}; "
                                                         "status {status}."),
    },
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "-"


def render(kind: str, language: str, **values: Any) -> tuple[str, str]:
    """(title, message) of an alert kind in `language` (zh or en)."""
    title, message = _TEMPLATES[kind]["en" if language == "en" else "zh"]
    fields = _Blank({k: ("-" if v is None else v) for k, v in values.items()})
    return title.format_map(fields), message.format_map(fields)


_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_HTML = _ENV.from_string(
    "<!doctype html><html><body><h2>{{ heading }}</h2>{% for a in alerts %}<div>"
    "<h3>[{{ a.severity }}] {{ a.title }}</h3><p>{{ a.message }}</p><ul>"
    "<li>{{ labels.rule }}: {{ a.rule }}</li><li>{{ labels.department }}: {{ a.department or '-' }}</li>"
    "<li>{{ labels.when }}: {{ a.occurred_at }}</li><li>{{ labels.id }}: {{ a.alert_id }}</li></ul>"
    "</div>{% endfor %}</body></html>"
)
_LABELS = {
    "zh": {"rule": "规则", "department": "责任部门", "when": "数据时间", "id": "告警编号", "digest": "cxloop 告警汇总",
           "subject": "[cxloop]"},
    "en": {"rule": "Rule", "department": "Department", "when": "Data time", "id": "Alert id",
           "digest": "cxloop alert digest", "subject": "[cxloop]"},
}


def email_message(alerts: Sequence[dict[str, Any]], language: str) -> tuple[str, str, str]:
    """(subject, plain text, HTML) for one alert or a digest of several."""
    labels = _LABELS["en" if language == "en" else "zh"]
    if len(alerts) == 1:
        subject = f"{labels['subject']} {alerts[0]['title']}"
        heading = alerts[0]["title"]
    else:
        subject = f"{labels['subject']} {labels['digest']} ({len(alerts)})"
        heading = labels["digest"]
    plain = "\n\n".join(
        f"[{a['severity']}] {a['title']}\n{a['message']}\n{labels['rule']}: {a['rule']} · "
        f"{labels['department']}: {a.get('department') or '-'} · {labels['when']}: {a['occurred_at']} · "
        f"{labels['id']}: {a['alert_id']}"
        for a in alerts
    )
    html = _HTML.render(heading=heading, alerts=alerts, labels=labels)
    return subject.replace("\n", " ").replace("\r", " "), plain, html
