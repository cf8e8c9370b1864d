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
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    severity: Severity = "warning"
    department: str | None = None  # recipients when the data names no owner department
    sinks: list[str] = Field(default_factory=list)  # named [alerts.sinks.*]; in-app always
    enabled: bool = True
    open_case: bool = False  # open a case per alert (only for alerts that are delivered, not backfilled)
    case_priority: Priority = "normal"


class ThresholdRule(_RuleBase):
    """A metric of the metrics layer per period (and groups) below or above a value, on enough answers."""

    kind: Literal["threshold"]
    metric: str
    by: list[str] = Field(default_factory=lambda: ["product"])
    grain: Grain = "week"
    where: list[str] = Field(default_factory=list)
    below: float | None = None
    above: float | None = None
    min_n: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _one_bound(self) -> ThresholdRule:
        if (self.below is None) == (self.above is None):
            raise ValueError("set exactly one of 'below' or 'above'")
        return self


class ChangeRule(_RuleBase):
    """A significant change of a metric from one period to the next (the metrics layer's test)."""

    kind: Literal["change"]
    metric: str
    by: list[str] = Field(default_factory=lambda: ["product"])
    grain: Grain = "week"
    where: list[str] = Field(default_factory=list)
    direction: Literal["down", "up", "any"] = "down"
    min_n: int = Field(default=30, ge=1)


class EmergingRule(_RuleBase):
    """Issues from `cxloop emerging` (topic, cluster or uncovered-text volume above its seasonal baseline)."""

    kind: Literal["emerging"]
    window_days: int = Field(default=7, ge=1)
    baseline_days: int = Field(default=56, ge=7)
    alpha: float = Field(default=0.01, gt=0, lt=1)
    min_count: int = Field(default=5, ge=1)


class DetractorRule(_RuleBase):
    """One alert per detractor answer: NPS <= nps_max or CSAT <= csat_max."""

    kind: Literal["detractor"]
    nps_max: int = Field(default=6, ge=0, le=10)
    csat_max: float = Field(default=2, ge=1, le=5)


class ChurnRiskRule(_RuleBase):
    """Negative text with churn or escalation words (a record-level alert)."""

    kind: Literal["churn_risk"]
    words: list[str] = Field(default_factory=lambda: list(DEFAULT_CHURN_WORDS), min_length=1)
    require_negative: bool = True


class SlaRule(_RuleBase):
    """An open case past its deadline (`due_at` earlier than the latest data time)."""

    kind: Literal["sla"]


class AndonRule(_RuleBase):
    """>= `customers` distinct customers report one issue on one product within `window_days`, and the
    count is significantly above the product's own history and the other products' rate (docs/loop.md)."""

    kind: Literal["andon"]
    severity: Severity = "critical"
    customers: int = Field(default=3, ge=2)
    window_days: int = Field(default=7, ge=1)
    history_days: int = Field(default=56, ge=7)
    alpha: float = Field(default=1e-6, gt=0, lt=1)
    new_share: float = Field(default=0.5, gt=0, le=1)  # without testable history: the share of the
    # product's reports in the window it needs
    topics: list[str] = Field(default_factory=lambda: ["quality"])  # marked andon = true (children inherit)
    terms: bool = True  # also issues the taxonomy does not know (distinctive co-bursting terms)
    compensation_cases: bool = True
    case_priority: Priority = "high"


class RepeatContactRule(_RuleBase):
    """A customer with `contacts` or more service contacts about one problem within `days` gets a case."""

    kind: Literal["repeat_contact"]
    contacts: int = Field(default=5, ge=2)
    days: int = Field(default=30, ge=1)
    open_case: bool = True
    case_priority: Priority = "high"


AlertRule = Annotated[
    ThresholdRule | ChangeRule | EmergingRule | DetractorRule | ChurnRiskRule | SlaRule | AndonRule
    | RepeatContactRule,
    Field(discriminator="kind"),
]


class _SinkBase(_Strict):
    retries: int = Field(default=3, ge=0, le=10)  # tries after the first, with exponential backoff
    backoff_s: float = Field(default=1.0, ge=0)
    timeout_s: float = Field(default=10.0, gt=0)


class WebhookSink(_SinkBase):
    """POST the alert as JSON; `X-Cxloop-Signature: sha256=<hex HMAC-SHA256 of the body>` when
    `secret_env` names an environment variable holding the secret."""

    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class EmailSink(_SinkBase):
    """E-mail over SMTP: one message per alert, or one digest per run."""

    kind: Literal["email"]
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = "cxloop@localhost"
    to: list[str] = Field(default_factory=list)
    departments: dict[str, list[str]] = Field(default_factory=dict)  # department -> addresses
    language: Language = "zh"
    digest: bool = False
    starttls: bool = False
    username_env: str | None = None
    password_env: str | None = None

    @model_validator(mode="after")
    def _someone(self) -> EmailSink:
        if not self.to and not self.departments:
            raise ValueError("an email sink needs 'to' or 'departments'")
        return self


Sink = Annotated[WebhookSink | EmailSink, Field(discriminator="kind")]


class AlertSettings(_Strict):
    deliver_recent_days: int = Field(default=7, ge=0)
    language: Language = "zh"
    rules: list[AlertRule] | None = None  # None: the default rule set (cxloop.loop.rules.DEFAULT_RULES)
    sinks: dict[str, Sink] = Field(default_factory=dict)

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
        default_factory=lambda: {"urgent": 4.0, "high": 24.0, "normal": 72.0, "low": 168.0}
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
    resolution_codes: list[str] = Field(default_factory=lambda: [
        "fixed", "replaced", "refunded", "compensated", "explained", "workaround", "duplicate", "no_fault",
        "customer_unreachable", "other",
    ], min_length=1)


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
