"""`[journeys]` in cxloop.toml: the stages of a customer journey and how rows map onto them.

Every key is optional. The default fits a consumer-
electronics maker: aware -> consider -> purchase -> deliver -> install -> use -> service -> renew.

A row's stage is, in order of precedence: its own `journey_stage` column; else the stage its `event_type`
maps to; else its `touchpoint`; else its `kind`; else its `channel`; else none (shown as "(none)").

```toml
[journeys]
stages = ["aware", "consider", "purchase", "deliver", "install", "use", "service", "renew"]
episode_gap_hours = 168            # a new service episode starts after this silence (same customer+topic)
non_contact_kinds = ["survey_response", "review", "post"]   # rows that are not service contacts
[journeys.stage_map.channel]
store = "purchase"
[journeys.health]                  # weights of the episode health score (see docs/journeys.md)
effort = 0.4
time = 0.15
outcome = 0.25
emotion = 0.2
target_hours = 24
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DEFAULT_STAGES", "HealthWeights", "JourneyConfig", "StageMap"]

DEFAULT_STAGES = ["aware", "consider", "purchase", "deliver", "install", "use", "service", "renew"]

_SERVICE_EVENTS = [
    "ivr_start", "ivr_node", "ivr_selfservice_success", "ivr_to_agent", "ivr_abandon",
    "contact_start", "contact_end", "transfer", "resolved", "reopened", "repair",
]


def _default_event_types() -> dict[str, str]:
    mapping = dict.fromkeys(_SERVICE_EVENTS, "service")
    mapping.update(
        {"visit": "consider", "order": "purchase", "delivery": "deliver", "install": "install",
         "renewal": "renew", "trade_in": "renew"}
    )
    return mapping


def _default_touchpoints() -> dict[str, str]:
    return {
        "ad": "aware", "广告": "aware", "website": "consider", "官网": "consider", "product_page": "consider",
        "checkout": "purchase", "下单": "purchase", "logistics": "deliver", "物流": "deliver",
        "installation": "install", "安装": "install", "app": "use", "after_sales": "service", "售后": "service",
        "trade_in": "renew", "以旧换新": "renew",
    }


def _default_kinds() -> dict[str, str]:
    return {"review": "use", "post": "use", "complaint": "service", "ticket": "service", "call": "service",
            "message": "service"}


def _default_channels() -> dict[str, str]:
    return {
        "social": "aware", "community": "use", "ecommerce_review": "use", "app": "use", "store": "purchase",
        "hotline": "service", "ivr": "service", "chat": "service", "email": "service", "wecom": "service",
        "field_service": "service",
    }


class StageMap(BaseModel):
    """Value -> stage, per field. Checked in the order event_type, touchpoint, kind, channel."""

    model_config = ConfigDict(extra="forbid")

    event_type: dict[str, str] = Field(default_factory=_default_event_types,
                                       description="event_type -> stage (checked first).")
    touchpoint: dict[str, str] = Field(default_factory=_default_touchpoints, description="touchpoint -> stage.")
    kind: dict[str, str] = Field(default_factory=_default_kinds, description="kind -> stage.")
    channel: dict[str, str] = Field(default_factory=_default_channels, description="channel -> stage (checked last).")

    def ordered(self) -> list[tuple[str, dict[str, str]]]:
        return [("event_type", self.event_type), ("touchpoint", self.touchpoint), ("kind", self.kind),
                ("channel", self.channel)]


class HealthWeights(BaseModel):
    """Weights of the four health components and the time target (hours) where the time part is 0.5."""

    model_config = ConfigDict(extra="forbid")

    effort: float = Field(default=0.4, ge=0, description="Weight of effort (contacts, transfers, channel "
                                                         "switches).")
    time: float = Field(default=0.15, ge=0, description="Weight of time to resolution.")
    outcome: float = Field(default=0.25, ge=0, description="Weight of the outcome (resolved, reopened).")
    emotion: float = Field(default=0.2, ge=0, description="Weight of the customer's sentiment over the episode.")
    target_hours: float = Field(default=24.0, gt=0, description="Resolution time (hours) at which the time part "
                                                                "is 0.5.")

    @model_validator(mode="after")
    def _some_weight(self) -> HealthWeights:
        if self.effort + self.time + self.outcome + self.emotion <= 0:
            raise ValueError("at least one health weight must be positive")
        return self


class JourneyConfig(BaseModel):
    """The `[journeys]` section of cxloop.toml."""

    model_config = ConfigDict(extra="forbid")

    stages: list[str] = Field(default_factory=lambda: list(DEFAULT_STAGES), min_length=1,
                              description="The journey stages in order (columns of the journey map).")
    stage_map: StageMap = Field(default_factory=StageMap, description="Which stage a row belongs to when it "
                                                                      "has no journey_stage of its own.")
    episode_gap_hours: float = Field(default=168.0, gt=0, description="A new service episode starts after this "
                                                                      "silence (same customer and topic).")
    non_contact_kinds: list[str] = Field(default_factory=lambda: ["survey_response", "review", "post"],
                                         description="Record kinds that are not service contacts.")
    resolved_outcomes: list[str] = Field(default_factory=lambda: ["resolved"],
                                         description="`outcome` values that resolve an episode.")
    health: HealthWeights = Field(default_factory=lambda: HealthWeights(),
                                  description="Weights of the episode health score.")
    ivr_min_visits: int = Field(default=30, ge=1, description="IVR nodes with fewer visits are not ranked.")

    @model_validator(mode="after")
    def _stages_known(self) -> JourneyConfig:
        known = set(self.stages)
        for field, mapping in self.stage_map.ordered():
            unknown = sorted({v for v in mapping.values() if v not in known})
            if unknown:
                raise ValueError(
                    f"stage_map.{field} maps to unknown stage(s) {unknown}; stages are {self.stages}"
                )
        return self
