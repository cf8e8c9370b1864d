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

    baseline_days: int = Field(
        default=90, ge=1,
        description="The baseline period: local days before the change date (or the data's last days).",
    )
    effect_before_days: int | None = Field(
        default=None, ge=1, description="How far the before side of an effect reaches.",
    )
    effect_after_days: int | None = Field(default=None, ge=1, description="How far the after side reaches.")
    alpha: float = Field(default=0.05, gt=0, lt=1, description="Significance level of effects.")
    review_day: int = Field(default=1, ge=1, le=28, description="Day of the month of the next review.")


class CardSettings(BaseModel):
    """Red/yellow complaint cards per team and month, and the CX weight in a team's performance."""

    model_config = ConfigDict(extra="forbid")

    yellow_at: int = Field(default=3, ge=1, description="Incidents per team and month for a yellow card.")
    red_at: int = Field(default=5, ge=1, description="Incidents for a red card.")
    red_at_andon: int = Field(default=1, ge=1, description="Andon incidents for a red card.")
    complaint_kinds: list[str] = Field(
        default_factory=lambda: ["complaint"], description="Record kinds that are complaints.",
    )
    escalation_event_types: list[str] = Field(
        default_factory=lambda: ["escalation", "escalated"], description="Event types that are escalations.",
    )
    escalation_outcomes: list[str] = Field(
        default_factory=lambda: ["escalated"], description="Outcomes that are escalations.",
    )
    escalation_patterns: list[str] = Field(
        default_factory=list,
        description="Regular expressions over record texts that mark escalations (e.g. `\"升级至二线\"`).",
    )
    cx_weight: float = Field(default=0.2, ge=0, le=1, description="Weight of the CX score in a team's performance.")
    yellow_penalty: float = Field(
        default=10.0, ge=0, le=100, description="Points a yellow card takes from the CX score.",
    )
    red_penalty: float = Field(default=30.0, ge=0, le=100, description="Points a red card takes.")
    metric: Literal["3e", "nps", "csat"] = Field(
        default="3e", description="The team score of the CX KPI (3e, nps or csat).",
    )


class StarSettings(BaseModel):
    """The monthly CX star ranking."""

    model_config = ConfigDict(extra="forbid")

    metric: Literal["3e", "nps", "csat"] = Field(
        default="3e", description="The star ranking's score (3e, nps or csat).",
    )
    min_n: int = Field(default=30, ge=1, description="Responses needed to be ranked.")
    top: int = Field(default=10, ge=1, description="How many stars a summary shows.")


class IntegritySettings(BaseModel):
    """Metric integrity checks and whether flagged responses are left out of every metric."""

    model_config = ConfigDict(extra="forbid")

    exclude_flagged: bool = Field(default=False, description="Leave flagged responses out of every metric by default.")
    alpha: float = Field(
        default=0.01, gt=0, lt=1, description="Family-wise false-positive rate of each check (Bonferroni).",
    )
    begging_min_chats: int = Field(default=3, ge=1, description="Begging conversations needed for a flag.")
    begging_request_cues: list[str] = Field(
        default_factory=list, description="Extra request words of the begging grammar.",
    )
    begging_score_cues: list[str] = Field(
        default_factory=list, description="Extra top-score words of the begging grammar.",
    )
    distribution_units: list[str] = Field(
        default_factory=lambda: ["agent_id", "partner"],
        description="Record fields whose units' score distributions are tested.",
    )
    distribution_min_n: int = Field(default=20, ge=2, description="Answers a unit needs to be tested.")
    distribution_min_excess: float = Field(
        default=0.1, ge=0, le=1, description="How far above the peers' top-box share a unit must be to be flagged.",
    )
    duplicate_window_hours: float = Field(
        default=24.0, gt=0, description="How close two answers of one respondent must be to be duplicates.",
    )
    duplicate_similarity: float = Field(
        default=90.0, ge=0, le=100, description="Rapidfuzz ratio (0–100) of two texts that are near-duplicates.",
    )
    contradiction_min_score: float = Field(
        default=0.6, ge=0, le=1, description="How clearly a comment's sentiment must contradict its score.",
    )
    staff_identifiers: dict[str, list[str]] = Field(
        default_factory=dict, description="`{agent_id = [identifiers]}`: the staff's own phones, e-mails, accounts.",
    )


class KpiNode(BaseModel):
    """One node of the KPI tree: a metric query with an owner, a target and its weight in its parent."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Node id (unique in the tree).")
    name: str = Field(description="Name shown in the tree.")
    metric: str = Field(description="A metric of `cxloop metrics`.")
    parent: str | None = Field(default=None, description="Parent node id; the root has none.")
    topic: str | None = Field(default=None, description="Restrict the metric to a taxonomy topic.")
    where: dict[str, str | list[str]] = Field(
        default_factory=dict, description="Field -> value(s) filters of the metric.",
    )
    weight: float = Field(default=1.0, ge=0, description="Weight in the parent.")
    owner: str | None = Field(default=None, description="Owner (person or department).")
    target: float | None = Field(default=None, description="Target value.")
    direction: Literal["higher", "lower"] = Field(default="higher", description="higher or lower is better.")


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
