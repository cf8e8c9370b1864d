"""`[initiatives]`, `[cards]`, `[stars]`, `[integrity]` and `[kpis]` in cxloop.toml: the rules and thresholds
of managing by the loop (docs/loop_manage.md). Unknown keys are errors naming the key (the CLI exits 4).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["CardSettings", "InitiativeSettings", "IntegritySettings", "KpiNode", "KpiSettings", "StarSettings"]


class InitiativeSettings(BaseModel):
    """How key results are measured: the baseline period and the before/after effect."""

    model_config = ConfigDict(extra="forbid")

    baseline_days: int = Field(default=90, ge=1)
    effect_before_days: int | None = Field(default=None, ge=1)
    effect_after_days: int | None = Field(default=None, ge=1)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    review_day: int = Field(default=1, ge=1, le=28)


class CardSettings(BaseModel):
    """Red/yellow complaint cards per team and month, and the CX weight in a team's performance."""

    model_config = ConfigDict(extra="forbid")

    yellow_at: int = Field(default=3, ge=1)
    red_at: int = Field(default=5, ge=1)
    red_at_andon: int = Field(default=1, ge=1)
    complaint_kinds: list[str] = Field(default_factory=lambda: ["complaint"])
    escalation_event_types: list[str] = Field(default_factory=lambda: ["escalation", "escalated"])
    escalation_outcomes: list[str] = Field(default_factory=lambda: ["escalated"])
    escalation_patterns: list[str] = Field(default_factory=list)
    cx_weight: float = Field(default=0.2, ge=0, le=1)
    yellow_penalty: float = Field(default=10.0, ge=0, le=100)
    red_penalty: float = Field(default=30.0, ge=0, le=100)
    metric: Literal["3e", "nps", "csat"] = "3e"


class StarSettings(BaseModel):
    """The monthly CX star ranking."""

    model_config = ConfigDict(extra="forbid")

    metric: Literal["3e", "nps", "csat"] = "3e"
    min_n: int = Field(default=30, ge=1)
    top: int = Field(default=10, ge=1)


class IntegritySettings(BaseModel):
    """Metric integrity checks and whether flagged responses are left out of every metric."""

    model_config = ConfigDict(extra="forbid")

    exclude_flagged: bool = False
    alpha: float = Field(default=0.01, gt=0, lt=1)
    begging_min_chats: int = Field(default=3, ge=1)
    begging_request_cues: list[str] = Field(default_factory=list)
    begging_score_cues: list[str] = Field(default_factory=list)
    distribution_units: list[str] = Field(default_factory=lambda: ["agent_id", "partner"])
    distribution_min_n: int = Field(default=20, ge=2)
    distribution_min_excess: float = Field(default=0.1, ge=0, le=1)
    duplicate_window_hours: float = Field(default=24.0, gt=0)
    duplicate_similarity: float = Field(default=90.0, ge=0, le=100)
    contradiction_min_score: float = Field(default=0.6, ge=0, le=1)
    staff_identifiers: dict[str, list[str]] = Field(default_factory=dict)


class KpiNode(BaseModel):
    """One node of the KPI tree: a metric query with an owner, a target and its weight in its parent."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    metric: str
    parent: str | None = None
    topic: str | None = None
    where: dict[str, str | list[str]] = Field(default_factory=dict)
    weight: float = Field(default=1.0, ge=0)
    owner: str | None = None
    target: float | None = None
    direction: Literal["higher", "lower"] = "higher"


class KpiSettings(BaseModel):
    """The KPI tree: company NPS/CSAT decomposed into department and process indicators."""

    model_config = ConfigDict(extra="forbid")

    nodes: list[KpiNode] = Field(default_factory=list)

    @field_validator("nodes")
    @classmethod
    def _tree(cls, nodes: list[KpiNode]) -> list[KpiNode]:
        ids = [n.id for n in nodes]
        if len(set(ids)) != len(ids):
            raise ValueError("node ids must be unique")
        roots = [n.id for n in nodes if n.parent is None]
        if nodes and len(roots) != 1:
            raise ValueError(f"the tree needs exactly one root (a node without parent); found {roots}")
        unknown = [n.parent for n in nodes if n.parent is not None and n.parent not in ids]
        if unknown:
            raise ValueError(f"unknown parent(s) {unknown}; parents must be node ids")
        parent = {n.id: n.parent for n in nodes}
        for node in ids:  # every node must reach the root: no cycles
            seen: set[str] = set()
            at: str | None = node
            while at is not None:
                if at in seen:
                    raise ValueError(f"node {node!r} is in a cycle of parents")
                seen.add(at)
                at = parent[at]
        return nodes
