"""Evaluating alert rules on a workspace: what each rule kind finds in the data not yet evaluated.

One evaluator per rule kind, registered in `EVALUATORS` (the Andon rule's lives in `andon_service`). Each
takes the run's `RuleContext` and returns `AlertDraft`s; the run stores them (`alerts_service`).
"Not yet evaluated" is what changed since the previous run: records and events whose `updated_at`, and
enrichments whose `enriched_at`, are later than that run's watermark.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from cxloop.app.metrics_service import compute_metric, detect_emerging
from cxloop.app.workspace import Workspace
from cxloop.errors import ConfigError, CxloopError
from cxloop.loop.alerts import AlertDraft, CaseDraft
from cxloop.loop.messages import render
from cxloop.metrics.query import METRICS
from cxloop.metrics.timeframe import local_date, to_utc
from cxloop.settings.alerts import (
    ChangeRule,
    ChurnRiskRule,
    DetractorRule,
    EmergingRule,
    RepeatContactRule,
    ThresholdRule,
)

__all__ = ["EPOCH", "EVALUATORS", "DataState", "RuleContext", "data_state", "topic_info"]

EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class DataState:
    """How far the data goes: the watermark a run evaluates up to, and the data clock."""

    records_upto: datetime
    events_upto: datetime
    enriched_upto: datetime
    clock: datetime | None  # latest occurred_at of records and events


def data_state(ws: Workspace) -> DataState:
    row = ws.con.execute(
        "SELECT (SELECT max(updated_at) FROM records), (SELECT max(updated_at) FROM events), "
        "(SELECT max(enriched_at) FROM enrichments), "
        "greatest((SELECT max(occurred_at) FROM records), (SELECT max(occurred_at) FROM events))"
    ).fetchall()[0]
    return DataState(row[0] or EPOCH, row[1] or EPOCH, row[2] or EPOCH, row[3])


def topic_info(ws: Workspace) -> dict[str, dict[str, Any]]:
    cols = ("topic_id", "parent_id", "name_zh", "name_en", "owner_department")
    rows = ws.con.execute(f"SELECT {', '.join(cols)} FROM taxonomy").fetchall()
    return {r[0]: dict(zip(cols, r, strict=True)) for r in rows}


@dataclass
class RuleContext:
    ws: Workspace
    since: DataState  # the previous run's watermark (EPOCH on the first run)
    upto: DataState
    language: str
    topics: dict[str, dict[str, Any]]
    now: datetime
    cases: list[CaseDraft] = field(default_factory=list)  # cases opened earlier in this run
    _span: tuple[datetime | None, datetime | None] = (None, None)

    @property
    def first_run(self) -> bool:
        return self.since.records_upto == EPOCH and self.since.enriched_upto == EPOCH

    def prepare(self) -> None:
        """Note the records changed since the previous run (a temporary table; everything on a first run)."""
        self.ws.con.execute("DROP TABLE IF EXISTS _cx_changed")
        if not self.first_run:
            self.ws.con.execute(
                "CREATE TEMP TABLE _cx_changed AS SELECT record_id FROM records WHERE updated_at > ? "
                "UNION SELECT record_id FROM enrichments WHERE enriched_at > ?",
                [self.since.records_upto, self.since.enriched_upto])
        pred, params = self.changed_sql()
        row = self.ws.con.execute(
            f"SELECT min(lo), max(hi) FROM (SELECT min(occurred_at) lo, max(occurred_at) hi FROM records r "
            f"WHERE {pred} UNION ALL SELECT min(occurred_at), max(occurred_at) FROM events WHERE updated_at > ?)",
            [*params, self.since.events_upto],
        ).fetchall()[0]
        self._span = (row[0], row[1])

    def finish(self) -> None:
        self.ws.con.execute("DROP TABLE IF EXISTS _cx_changed")

    def changed_sql(self, r: str = "r") -> tuple[str, list[Any]]:
        """A predicate on records (alias `r`) changed since the previous run: their row or enrichment."""
        if self.first_run:
            return "TRUE", []
        return f"{r}.record_id IN (SELECT record_id FROM _cx_changed)", []

    def new_span(self) -> tuple[datetime | None, datetime | None]:
        """The earliest and latest occurred_at of the records and events not yet evaluated."""
        return self._span

    def department(self, topic: str | None, fallback: str | None) -> str | None:
        info = self.topics.get(topic or "")
        return (info or {}).get("owner_department") or fallback

    def topic_name(self, topic: str | None) -> str | None:
        info = self.topics.get(topic or "")
        if not info:
            return topic
        return info["name_en"] if self.language == "en" else info["name_zh"]


def _fmt(value: Any, digits: int = 1) -> str:
    return "-" if value is None or (isinstance(value, float) and pd.isna(value)) else f"{value:.{digits}f}"


def _short(text: Any, n: int = 120) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= n else s[: n - 1] + "…"


def _record_frame(ctx: RuleContext, where: str, params: list[Any]) -> pd.DataFrame:
    pred, changed = ctx.changed_sql()
    return ctx.ws.con.execute(
        "SELECT r.record_id, r.occurred_at, r.product, r.customer_id, r.channel, r.kind, r.nps, r.csat, "
        "r.text, r.department, e.topic_id, e.sentiment FROM records r LEFT JOIN enrichments e USING (record_id) "
        f"WHERE {pred} AND ({where}) ORDER BY r.occurred_at, r.record_id", [*changed, *params],
    ).df().astype(object).where(lambda f: f.notna(), None)


def _record_alerts(ctx: RuleContext, rule: DetractorRule | ChurnRiskRule, frame: pd.DataFrame, kind: str,
                   make: Callable[[dict[str, Any]], dict[str, Any]], origin: str) -> list[AlertDraft]:
    out = []
    for row in frame.to_dict("records"):
        title, message = render(kind, ctx.language, product=row["product"], channel=row["channel"],
                                text=_short(row["text"]), **make(row))
        at = pd.Timestamp(row["occurred_at"]).to_pydatetime()
        dept = ctx.department(row["topic_id"], row["department"] or rule.department)
        draft = AlertDraft(rule.name, kind, rule.severity, f"record:{row['record_id']}", title, message, at,
                           product=row["product"], topic=row["topic_id"], department=dept,
                           customers=1 if row["customer_id"] else 0, records=[row["record_id"]],
                           sinks=list(rule.sinks), live_cases_only=True)
        if rule.open_case:
            draft.cases.append(CaseDraft(f"{origin}|{row['record_id']}", title, origin, at, rule.case_priority,
                                         customer_id=row["customer_id"], product=row["product"], department=dept,
                                         origin_ref=draft.alert_id, records=[row["record_id"]]))
        out.append(draft)
    return out


def _detractors(ctx: RuleContext, rule: DetractorRule) -> list[AlertDraft]:
    frame = _record_frame(ctx, "r.nps <= ? OR r.csat <= ?", [rule.nps_max, rule.csat_max])

    def score(row: dict[str, Any]) -> dict[str, Any]:
        nps, csat = row["nps"], row["csat"]
        return {"score": f"NPS {int(nps)}" if pd.notna(nps) else f"CSAT {csat:g}"}

    return _record_alerts(ctx, rule, frame, "detractor", score, "detractor")


def _churn(ctx: RuleContext, rule: ChurnRiskRule) -> list[AlertDraft]:
    pattern = "|".join(re.escape(w.lower()) for w in rule.words)
    negative = "(e.sentiment = 'neg' OR r.kind = 'complaint') AND " if rule.require_negative else ""
    frame = _record_frame(ctx, f"{negative}regexp_matches(lower(r.text), ?)", [pattern])
    compiled = re.compile(pattern)

    def words(row: dict[str, Any]) -> dict[str, Any]:
        return {"words": "、".join(sorted(set(compiled.findall(str(row["text"]).lower()))))}

    return _record_alerts(ctx, rule, frame, "churn_risk", words, "complaint")


def _check_metric(rule: ThresholdRule | ChangeRule) -> None:
    if rule.metric not in METRICS:
        raise ConfigError(f"alerts.rules.{rule.name}.metric: unknown metric {rule.metric!r}; "
                          f"metrics are: {', '.join(METRICS)}", field=f"alerts.rules.{rule.name}.metric")


def _period_start(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _period_end(start: date, grain: str) -> date:
    if grain == "week":
        return start + timedelta(days=7)
    if grain == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def _metric_rows(ctx: RuleContext, rule: ThresholdRule | ChangeRule, compare: bool) -> list[dict[str, Any]]:
    _check_metric(rule)
    lo, _ = ctx.new_span()
    if lo is None:
        return []
    tz = ctx.ws.settings.timezone
    since = None if ctx.first_run else _period_start(local_date(lo, tz), rule.grain).isoformat()
    query: dict[str, Any] = {"metric": rule.metric, "by": ",".join([rule.grain, *rule.by]),
                             "where": rule.where or None, "since": since}
    if compare:
        query["compare"] = "previous"
    if ctx.upto.clock is not None:  # a bounded window (compare needs one), ending with the data's last day
        query["asof"] = local_date(ctx.upto.clock, tz).isoformat()
    try:
        return list(compute_metric(ctx.ws, query)["rows"])
    except CxloopError as exc:
        raise ConfigError(f"alerts.rules.{rule.name}: {exc.message}", field=f"alerts.rules.{rule.name}") from exc


def _metric_alert(ctx: RuleContext, rule: ThresholdRule | ChangeRule, row: dict[str, Any], kind: str,
                  **values: Any) -> AlertDraft:
    tz = ctx.ws.settings.timezone
    period = date.fromisoformat(str(row[rule.grain])[:10])
    scope = " · ".join(f"{k}={row.get(k)}" for k in rule.by) or "all"
    end = to_utc(_period_end(period, rule.grain), tz)
    at = min(end, ctx.upto.clock) if ctx.upto.clock else end
    title, message = render(kind, ctx.language, metric=rule.metric.upper(), scope=scope, period=period.isoformat(),
                            value=_fmt(row.get("value")), n=row.get("n"),
                            ci=f"[{_fmt(row.get('ci_low'))}, {_fmt(row.get('ci_high'))}]", **values)
    product = row.get("product") if "product" in rule.by else None
    topic = row.get("topic_id") if "topic_id" in rule.by else None
    details = {k: v for k, v in row.items() if not isinstance(v, list)}
    return AlertDraft(rule.name, kind, rule.severity, f"{scope}|{rule.grain}={period.isoformat()}", title, message,
                      at, product=product, topic=topic, department=ctx.department(topic, rule.department),
                      details=details, sinks=list(rule.sinks))


def _threshold(ctx: RuleContext, rule: ThresholdRule) -> list[AlertDraft]:
    out = []
    for row in _metric_rows(ctx, rule, compare=False):
        value, n = row.get("value"), row.get("n") or 0
        if value is None or n < rule.min_n:
            continue
        if (rule.below is not None and value < rule.below) or (rule.above is not None and value > rule.above):
            op, limit = ("<", rule.below) if rule.below is not None else (">", rule.above)
            out.append(_metric_alert(ctx, rule, row, "threshold", op=op, limit=limit))
    return out


def _change(ctx: RuleContext, rule: ChangeRule) -> list[AlertDraft]:
    out = []
    for row in _metric_rows(ctx, rule, compare=True):
        delta, n = row.get("delta"), row.get("n") or 0
        if not row.get("significant") or delta is None or n < rule.min_n:
            continue
        if (rule.direction == "down" and delta >= 0) or (rule.direction == "up" and delta <= 0):
            continue
        out.append(_metric_alert(ctx, rule, row, "change", prev=_fmt(row.get("prev_value")), delta=_fmt(delta),
                                 p=f"{row.get('p_value', 1):.2g}"))
    return out


def _emerging(ctx: RuleContext, rule: EmergingRule) -> list[AlertDraft]:
    lo, _ = ctx.new_span()
    if lo is None:
        return []
    since = "all" if ctx.first_run else local_date(lo, ctx.ws.settings.timezone).isoformat()
    found = detect_emerging(ctx.ws, since=since, window_days=rule.window_days, baseline_days=rule.baseline_days,
                            alpha=rule.alpha, min_count=rule.min_count)
    out = []
    for issue in found["issues"]:
        day = date.fromisoformat(str(issue["first_detected"])[:10])
        label = issue.get("label") or issue.get("topic") or issue.get("cluster_id")
        title, message = render("emerging", ctx.language, product=issue.get("product"), label=label,
                                days=rule.window_days, observed=issue.get("observed"),
                                expected=_fmt(issue.get("expected")), p=f"{issue.get('p_value', 1):.2g}")
        at = to_utc(day + timedelta(days=1), ctx.ws.settings.timezone)
        at = min(at, ctx.upto.clock) if ctx.upto.clock else at
        out.append(AlertDraft(
            rule.name, "emerging", rule.severity, f"{issue.get('series')}|{issue.get('product')}|{day.isoformat()}",
            title, message, at, product=issue.get("product"), topic=issue.get("topic"),
            department=issue.get("owner_department") or rule.department,
            details={k: v for k, v in issue.items() if not isinstance(v, list | dict)}, sinks=list(rule.sinks)))
    return out


def _repeat_contacts(ctx: RuleContext, rule: RepeatContactRule) -> list[AlertDraft]:
    from cxloop.app.cases_service import repeat_contact_drafts

    return repeat_contact_drafts(ctx, rule)


Evaluator = Callable[[RuleContext, Any], list[AlertDraft]]
EVALUATORS: dict[type, Evaluator] = {
    DetractorRule: _detractors,
    ChurnRiskRule: _churn,
    ThresholdRule: _threshold,
    ChangeRule: _change,
    EmergingRule: _emerging,
    RepeatContactRule: _repeat_contacts,
}
