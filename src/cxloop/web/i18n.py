"""The dashboard's two languages: Chinese (default) and English.

The language of a page is `?lang=zh|en` when given (and then remembered in the `cxloop_lang` cookie, so it
sticks for this browser's user), else that cookie, else the browser's `Accept-Language`, else Chinese.
Labels live in one table so a missing translation is a test failure, not a blank on screen.
"""

from __future__ import annotations

from fastapi import Request

__all__ = ["LANGS", "LANG_COOKIE", "MESSAGES", "choose_lang", "translate"]

LANG_COOKIE = "cxloop_lang"
LANGS = ("zh", "en")

# key: (zh, en)
MESSAGES: dict[str, tuple[str, str]] = {
    "app": ("cxloop 客户体验", "cxloop customer experience"),
    "nav.overview": ("总览", "Overview"),
    "nav.painpoints": ("痛点", "Pain points"),
    "nav.journeys": ("旅程", "Journeys"),
    "nav.customer": ("客户", "Customer"),
    "nav.alerts": ("告警", "Alerts"),
    "nav.holds": ("Andon 停售", "Andon holds"),
    "nav.cases": ("工单看板", "Cases"),
    "nav.initiatives": ("改进项目", "Initiatives"),
    "nav.teams": ("团队", "Teams"),
    "nav.integrity": ("指标诚信", "Integrity"),
    "nav.data": ("数据", "Data"),
    "nav.act": ("行动", "Act"),
    "logout": ("退出", "Log out"),
    "lang.switch": ("English", "中文"),
    "filters": ("筛选", "Filters"),
    "filter.period": ("时间范围", "Period"),
    "filter.channel": ("渠道", "Channel"),
    "filter.product": ("产品", "Product"),
    "filter.department": ("部门", "Department"),
    "filter.all": ("全部", "All"),
    "filter.apply": ("应用", "Apply"),
    "period.30d": ("近 30 天", "Last 30 days"),
    "period.90d": ("近 90 天", "Last 90 days"),
    "period.180d": ("近 180 天", "Last 180 days"),
    "period.365d": ("近一年", "Last 12 months"),
    "period.all": ("全部数据", "All data"),
    "metric.nps": ("NPS 净推荐值", "NPS"),
    "metric.csat": ("CSAT 满意度", "CSAT"),
    "metric.3e": ("3E 指数", "3E index"),
    "metric.ces": ("CES 费力度", "CES"),
    "value": ("数值", "Value"),
    "n": ("样本 n", "n"),
    "ci": ("95% 置信区间", "95% CI"),
    "delta": ("环比变化", "Change vs previous"),
    "significant": ("显著", "significant"),
    "not_significant": ("不显著", "not significant"),
    "low_n": ("样本不足 {min_n}，仅供参考", "fewer than {min_n} responses: indicative only"),
    "trend": ("月度趋势（阴影为 95% 置信区间）", "Monthly trend (band: 95% CI)"),
    "volumes": ("各渠道声音量（按月）", "Volume by channel (monthly)"),
    "month": ("月份", "Month"),
    "channel": ("渠道", "Channel"),
    "records": ("条数", "Records"),
    "holds.active": ("生效中的 Andon 停售", "Active Andon holds"),
    "alerts.open": ("未关闭告警", "Open alerts"),
    "none": ("无", "None"),
    "product": ("产品", "Product"),
    "since": ("开始", "Since"),
    "customers": ("客户数", "Customers"),
    "rule": ("规则", "Rule"),
    "status": ("状态", "Status"),
    "severity": ("级别", "Severity"),
    "detail": ("详情", "Detail"),
    "department": ("部门", "Department"),
    "opened": ("开启时间", "Opened"),
    "topic": ("主题", "Topic"),
    "volume": ("声量", "Volume"),
    "negative_share": ("负面占比", "Negative share"),
    "trend_col": ("趋势", "Trend"),
    "impact": ("影响", "Impact"),
    "score": ("得分", "Score"),
    "owner": ("责任人", "Owner"),
    "verbatims": ("原声", "Verbatims"),
    "drivers": ("关键驱动因素（对 NPS 的影响）", "Key drivers (impact on NPS)"),
    "emerging": ("新兴问题", "Emerging issues"),
    "observed": ("观测", "Observed"),
    "expected": ("预期", "Expected"),
    "ratio": ("倍数", "Ratio"),
    "p_value": ("p 值", "p-value"),
    "effect": ("效应", "Effect"),
    "importance": ("重要性", "Importance"),
    "back": ("返回", "Back"),
    "error.forbidden": ("无权访问此页面", "You may not open this page"),
    "error.not_found": ("未找到", "Not found"),
    "login.required": ("请登录", "Please log in"),
    "user": ("用户", "User"),
    "role": ("角色", "Role"),
    "masked_note": ("个人信息已按您的权限脱敏", "Personal data is masked for your role"),
    "notes": ("说明", "Notes"),
    "painpoints.title": ("痛点排名", "Pain points, ranked"),
    "painpoints.drill": ("点击主题查看原声", "Open a topic to read its verbatims"),
    "at": ("时间", "Time"),
    "text": ("内容", "Text"),
    "sentiment": ("情感", "Sentiment"),
    "ack": ("确认", "Acknowledge"),
    "close": ("关闭", "Close"),
    "release": ("解除停售", "Release"),
    "reason": ("原因", "Reason"),
    "initiative": ("改进项目", "Initiative"),
    "assign": ("指派", "Assign"),
    "move_to": ("移至", "Move to"),
    "title": ("标题", "Title"),
    "priority": ("优先级", "Priority"),
    "due": ("截止", "Due"),
    "evidence": ("证据", "Evidence"),
    "released": ("已解除", "Released"),
    "on_hold": ("停售中", "On hold"),
    "case.new": ("新建", "New"),
    "case.in_progress": ("处理中", "In progress"),
    "case.waiting_customer": ("等待客户", "Waiting for customer"),
    "case.reopened": ("重新打开", "Reopened"),
    "case.resolved": ("已解决", "Resolved"),
    "case.closed": ("已关闭", "Closed"),
    "alerts.status.open": ("未处理", "Open"),
    "alerts.status.acked": ("已确认", "Acknowledged"),
    "alerts.status.closed": ("已关闭", "Closed"),
    "alerts.status.all": ("全部", "All"),
    "kr": ("关键结果", "Key result"),
    "baseline": ("基线", "Baseline"),
    "current": ("当前", "Current"),
    "target": ("目标", "Target"),
    "progress": ("进度", "Progress"),
    "next_review": ("下次复盘", "Next review"),
    "stars": ("月度服务之星（3E，小样本收缩）", "CX stars of the month (3E, shrunk for small samples)"),
    "stars.team": ("团队排名", "Teams"),
    "cards": ("红黄牌", "Red and yellow cards"),
    "rank": ("名次", "Rank"),
    "agent": ("坐席", "Agent"),
    "team": ("团队", "Team"),
    "shrunk": ("收缩后得分", "Shrunk score"),
    "eligible": ("参评", "Eligible"),
    "incidents": ("事件数", "Incidents"),
    "card": ("牌", "Card"),
    "kind": ("类型", "Kind"),
    "month_col": ("月份", "Month"),
    "flags": ("诚信标记", "Integrity flags"),
    "findings": ("条发现", "findings"),
    "note": ("备注", "Note"),
}


def translate(lang: str, key: str, **values: object) -> str:
    """The label `key` in `lang` (the key itself when missing, so a gap is visible, not blank)."""
    pair = MESSAGES.get(key)
    text = key if pair is None else pair[0 if lang == "zh" else 1]
    return text.format(**values) if values else text


def choose_lang(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return str(asked)
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return str(cookie)
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "zh"
