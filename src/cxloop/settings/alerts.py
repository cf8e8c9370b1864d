"""`[alerts]` and `[cases]` in cxloop.toml: alert rules, their sinks and the case SLAs.

Every rule is a `[[alerts.rules]]` table whose `kind` picks its model; an unknown key, kind or value is a
validation error naming the key (the CLI exits 4). Windows are in days of data time (`occurred_at`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DEFAULT_CHURN_WORDS",
    "PRIORITIES",
    "AlertRule",
    "AlertSettings",
    "AndonRule",
    "CaseSettings",
    "ChangeRule",
    "ChurnRiskRule",
    "DetractorRule",
    "EmailSink",
    "EmergingRule",
    "RepeatContactRule",
    "Sink",
    "SlaRule",
    "ThresholdRule",
    "WebhookSink",
]

Priority = Literal["urgent", "high", "normal", "low"]
PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal", "low")
Severity = Literal["info", "warning", "critical"]
Language = Literal["zh", "en"]
Grain = Literal["day", "week", "month"]

DEFAULT_CHURN_WORDS = (
    "退货", "退款", "投诉到消协", "消协", "消费者协会", "12315", "工商", "黑猫投诉", "曝光", "起诉", "律师",
    "再也不买", "不会再买", "再也不会买", "销户", "退订", "换别家", "cancel my account", "close my account",
    "cancel my subscription", "never buy", "never again", "switching to", "lawyer", "sue you", "chargeback",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _RuleBase(_Strict):
    name: str = Field(
        min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$",
        description="Unique rule name (letters, digits, _ . -); alerts and cases refer to it.",
    )
    severity: Severity = Field(default="warning", description="info, warning or critical.")
    department: str | None = Field(default=None, description="Recipients when the data names no owner department.")
    sinks: list[str] = Field(
        default_factory=list,
        description="Named [alerts.sinks.*] the alert is also sent to (it is always kept in-app).",
    )
    enabled: bool = Field(default=True, description="false: the rule is not evaluated.")
    open_case: bool = Field(
        default=False, description="Open a case per alert (only for alerts that are delivered, not backfilled).",
    )
    case_priority: Priority = Field(
        default="normal", description="Priority of the cases the rule opens: urgent, high, normal or low.",
    )


class ThresholdRule(_RuleBase):
    """A metric of the metrics layer per period (and groups) below or above a value, on enough answers."""

    kind: Literal["threshold"] = Field(description="The rule kind: \"threshold\".")
    metric: str = Field(description="A metric of `cxloop metrics` (nps, csat, ces, 3e, fcr, repeat_contact…).")
    by: list[str] = Field(
        default_factory=lambda: ["product"], description="Dimensions the metric is computed by (one alert per group).",
    )
    grain: Grain = Field(default="week", description="Period of the metric: day, week or month.")
    where: list[str] = Field(default_factory=list, description="FIELD=VALUE filters, as `--where`.")
    below: float | None = Field(
        default=None, description="Alert when the value is below this (set exactly one of below/above).",
    )
    above: float | None = Field(
        default=None, description="Alert when the value is above this (set exactly one of below/above).",
    )
    min_n: int = Field(default=30, ge=1, description="Groups with fewer answers are not judged.")

    @model_validator(mode="after")
    def _one_bound(self) -> ThresholdRule:
        if (self.below is None) == (self.above is None):
            raise ValueError("set exactly one of 'below' or 'above'")
        return self


class ChangeRule(_RuleBase):
    """A significant change of a metric from one period to the next (the metrics layer's test)."""

    kind: Literal["change"] = Field(description="The rule kind: \"change\".")
    metric: str = Field(description="A metric of `cxloop metrics` (nps, csat, ces, 3e, fcr, repeat_contact…).")
    by: list[str] = Field(
        default_factory=lambda: ["product"], description="Dimensions the metric is computed by (one alert per group).",
    )
    grain: Grain = Field(default="week", description="Period compared with the previous one: day, week or month.")
    where: list[str] = Field(default_factory=list, description="FIELD=VALUE filters, as `--where`.")
    direction: Literal["down", "up", "any"] = Field(
        default="down", description="down, up or any: which significant change alerts.",
    )
    min_n: int = Field(default=30, ge=1, description="Groups with fewer answers in either period are not judged.")


class EmergingRule(_RuleBase):
    """Issues from `cxloop emerging` (topic, cluster or uncovered-text volume above its seasonal baseline)."""

    kind: Literal["emerging"] = Field(description="The rule kind: \"emerging\".")
    window_days: int = Field(default=7, ge=1, description="Days of the recent window compared with the baseline.")
    baseline_days: int = Field(default=56, ge=7, description="Days of seasonal baseline before the window.")
    alpha: float = Field(default=0.01, gt=0, lt=1, description="Significance level of the rise above the baseline.")
    min_count: int = Field(default=5, ge=1, description="Fewer records in the window never alert.")


class DetractorRule(_RuleBase):
    """One alert per detractor answer: NPS <= nps_max or CSAT <= csat_max."""

    kind: Literal["detractor"] = Field(description="The rule kind: \"detractor\".")
    nps_max: int = Field(default=6, ge=0, le=10, description="An NPS answer at or below this is a detractor.")
    csat_max: float = Field(default=2, ge=1, le=5, description="A CSAT answer at or below this is a detractor.")


class ChurnRiskRule(_RuleBase):
    """Negative text with churn or escalation words (a record-level alert)."""

    kind: Literal["churn_risk"] = Field(description="The rule kind: \"churn_risk\".")
    words: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CHURN_WORDS), min_length=1,
        description="Churn or escalation words (12315, 投诉到消协, 再也不买, cancel my account…).",
    )
    require_negative: bool = Field(default=True, description="Only texts whose sentiment is negative.")


class SlaRule(_RuleBase):
    """An open case past its deadline (`due_at` earlier than the latest data time)."""

    kind: Literal["sla"] = Field(description="The rule kind: \"sla\".")


class AndonRule(_RuleBase):
    """>= `customers` distinct customers report one issue on one product within `window_days`, and the
    count is significantly above the product's own history and the other products' rate (docs/loop.md)."""

    kind: Literal["andon"] = Field(description="The rule kind: \"andon\".")
    severity: Severity = Field(default="critical", description="info, warning or critical.")
    customers: int = Field(
        default=3, ge=2, description="Distinct customers reporting one issue on one product that stop the line.",
    )
    window_days: int = Field(default=7, ge=1, description="Days within which they report it.")
    history_days: int = Field(
        default=56, ge=7, description="Days of the product's own history the count is tested against.",
    )
    alpha: float = Field(
        default=1e-6, gt=0, lt=1,
        description="False-alarm rate per product, issue and window (exact conditional tests).",
    )
    new_share: float = Field(
        default=0.5, gt=0, le=1,
        description="Without testable history: the issue's share of the product's reports in the window it needs.",
    )
    topics: list[str] = Field(
        default_factory=lambda: ["quality"],
        description="Taxonomy topics watched (marked andon = true; children inherit).",
    )
    terms: bool = Field(
        default=True, description="Also issues the taxonomy does not know (distinctive terms bursting together).",
    )
    compensation_cases: bool = Field(default=True, description="Open a compensation case per affected customer.")
    case_priority: Priority = Field(
        default="high", description="Priority of the cases the rule opens: urgent, high, normal or low.",
    )


class RepeatContactRule(_RuleBase):
    """A customer with `contacts` or more service contacts about one problem within `days` gets a case."""

    kind: Literal["repeat_contact"] = Field(description="The rule kind: \"repeat_contact\".")
    contacts: int = Field(default=5, ge=2, description="Service contacts about one problem that open a case.")
    days: int = Field(default=30, ge=1, description="Days within which they happen.")
    open_case: bool = Field(default=True, description="Open a case per alert.")
    case_priority: Priority = Field(
        default="high", description="Priority of the cases the rule opens: urgent, high, normal or low.",
    )


AlertRule = Annotated[
    ThresholdRule | ChangeRule | EmergingRule | DetractorRule | ChurnRiskRule | SlaRule | AndonRule
    | RepeatContactRule,
    Field(discriminator="kind"),
]


class _SinkBase(_Strict):
    retries: int = Field(default=3, ge=0, le=10, description="Tries after the first, with exponential backoff.")
    backoff_s: float = Field(default=1.0, ge=0, description="Seconds before the first retry (doubled each time).")
    timeout_s: float = Field(default=10.0, gt=0, description="Seconds to wait for the receiver.")


class WebhookSink(_SinkBase):
    """POST the alert as JSON; `X-Cxloop-Signature: sha256=<hex HMAC-SHA256 of the body>` when
    `secret_env` names an environment variable holding the secret."""

    kind: Literal["webhook"] = Field(description="The sink kind: \"webhook\".")
    url: str = Field(pattern=r"^https?://", description="http(s) URL the alert is POSTed to as JSON.")
    secret_env: str | None = Field(
        default=None, description="Environment variable holding the HMAC secret of the X-Cxloop-Signature header.",
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers.")


class EmailSink(_SinkBase):
    """E-mail over SMTP: one message per alert, or one digest per run."""

    kind: Literal["email"] = Field(description="The sink kind: \"email\".")
    host: str = Field(default="localhost", description="SMTP server.")
    port: int = Field(default=25, ge=1, le=65535, description="SMTP port.")
    sender: str = Field(default="cxloop@localhost", description="From address.")
    to: list[str] = Field(default_factory=list, description="Recipients of every alert.")
    departments: dict[str, list[str]] = Field(
        default_factory=dict, description="Department -> addresses: alerts go to the owner department's recipients.",
    )
    language: Language = Field(default="zh", description="zh or en: subjects and bodies.")
    digest: bool = Field(default=False, description="One digest per run instead of one message per alert.")
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    username_env: str | None = Field(default=None, description="Environment variable holding the SMTP user name.")
    password_env: str | None = Field(default=None, description="Environment variable holding the SMTP password.")

    @model_validator(mode="after")
    def _someone(self) -> EmailSink:
        if not self.to and not self.departments:
            raise ValueError("an email sink needs 'to' or 'departments'")
        return self


Sink = Annotated[WebhookSink | EmailSink, Field(discriminator="kind")]


class AlertSettings(_Strict):
    """Alert rules evaluated by `cxloop alerts run` on data time, and the sinks alerts are delivered to."""

    deliver_recent_days: int = Field(
        default=7, ge=0, description="The first run over history delivers only alerts of the last N data days.",
    )
    language: Language = Field(default="zh", description="zh or en: texts of alerts and e-mails.")
    rules: list[AlertRule] | None = Field(
        default=None, description="The alert rules; absent: the default rule set `cxloop init` writes.",
    )
    sinks: dict[str, Sink] = Field(
        default_factory=dict, description="Named delivery targets (webhook or e-mail) rules refer to.",
    )

    @model_validator(mode="after")
    def _references(self) -> AlertSettings:
        names = [r.name for r in self.rules or []]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(twice)}")
        for rule in self.rules or []:
            missing = [s for s in rule.sinks if s not in self.sinks]
            if missing:
                raise ValueError(
                    f"rule {rule.name!r} names unknown sink(s) {', '.join(missing)}; "
                    f"sinks are: {', '.join(self.sinks) or '(none)'}"
                )
        return self


class CaseSettings(_Strict):
    """Case SLAs (hours from opening to due, per priority) and the allowed resolution codes."""

    sla_hours: dict[str, float] = Field(
        default_factory=lambda: {"urgent": 4.0, "high": 24.0, "normal": 72.0, "low": 168.0},
        description="Hours from opening to due, per priority (urgent, high, normal, low).",
    )

    @model_validator(mode="after")
    def _priorities(self) -> CaseSettings:
        unknown = sorted(set(self.sla_hours) - set(PRIORITIES))
        missing = [p for p in PRIORITIES if p not in self.sla_hours]
        if unknown or missing:
            raise ValueError(f"sla_hours needs exactly the priorities {', '.join(PRIORITIES)}"
                             f"{'; unknown: ' + ', '.join(unknown) if unknown else ''}"
                             f"{'; missing: ' + ', '.join(missing) if missing else ''}")
        return self
    resolution_codes: list[str] = Field(
        default_factory=lambda: [
        "fixed", "replaced", "refunded", "compensated", "explained", "workaround", "duplicate", "no_fault",
        "customer_unreachable", "other",
    ], min_length=1, description="Codes a case may be resolved with.",
    )


DEFAULT_ALERTS_TOML = """\
# Alert rules, evaluated by `cxloop alerts run` on data time (occurred_at), never the wall clock.
# Kinds: threshold, change, emerging, detractor, churn_risk, sla, andon, repeat_contact (docs/loop.md).
# Every alert is kept in the workspace (in-app); `sinks` also sends it (see [alerts.sinks.*] below).
[alerts]
deliver_recent_days = 7   # the first run over history delivers only alerts of the last 7 data days
language = "zh"           # zh or en: e-mail subjects and bodies

# Andon: >= 3 distinct customers report one issue on one product within 7 days, and that count is
# significantly above the product's own recent history and the issue's rate on the other products
# (exact conditional tests at alpha; without history to test, the issue must be at least half of the
# product's reports) -> the product is held until released, and a compensation case is opened per customer.
[[alerts.rules]]
name = "andon"
kind = "andon"
customers = 3
window_days = 7
history_days = 56
alpha = 0.000001       # false-alarm rate per product, issue and window (docs/loop.md)
topics = ["quality"]      # taxonomy topics marked andon = true (children inherit)
terms = true              # also issues the taxonomy does not know (distinctive terms bursting together)

# Five or more contacts about one problem within 30 days -> a case, once.
[[alerts.rules]]
name = "repeat_contact"
kind = "repeat_contact"
contacts = 5
days = 30

[[alerts.rules]]
name = "detractor"
kind = "detractor"
severity = "info"
nps_max = 6
csat_max = 2
open_case = false         # true: a case per detractor (only for alerts that are delivered)

[[alerts.rules]]
name = "churn_risk"
kind = "churn_risk"       # negative text with churn or escalation words (12315, 投诉到消协, 再也不买 ...)

[[alerts.rules]]
name = "case_sla"
kind = "sla"

[[alerts.rules]]
name = "emerging"
kind = "emerging"
alpha = 0.01

[[alerts.rules]]
name = "nps_low"
kind = "threshold"
metric = "nps"
by = ["product"]
grain = "month"
below = -20
min_n = 30

[[alerts.rules]]
name = "nps_drop"
kind = "change"
metric = "nps"
by = ["product"]
grain = "month"
direction = "down"

# Sinks, named by rules' `sinks = [...]`:
# [alerts.sinks.ops]
# kind = "webhook"
# url = "https://hooks.example.com/cxloop"
# secret_env = "CXLOOP_WEBHOOK_SECRET"   # X-Cxloop-Signature: sha256=<HMAC-SHA256 of the body>
# [alerts.sinks.quality_mail]
# kind = "email"
# host = "smtp.example.com"
# port = 587
# starttls = true
# sender = "cxloop@example.com"
# to = ["cx-team@example.com"]
# departments = { Quality = ["quality@example.com"] }
# digest = true

[cases]
sla_hours = { urgent = 4, high = 24, normal = 72, low = 168 }
"""


def default_rules() -> list[AlertRule]:
    """The rules `cxloop init` writes (used when a workspace's cxloop.toml has no `[alerts]` rules)."""
    import tomllib

    return AlertSettings.model_validate(tomllib.loads(DEFAULT_ALERTS_TOML)["alerts"]).rules or []
