"""Workspace settings: defaults < cxloop.toml < CXLOOP_* environment < CLI flags.

One `Settings` model, read by `load_settings`; there are no global settings objects.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cxloop.errors import ConfigError, WorkspaceError

__all__ = [
    "CONFIG_FILE",
    "DATABASE_FILE",
    "DEFAULT_CONFIG_TEXT",
    "CardSettings",
    "IdentitySettings",
    "InitiativeSettings",
    "IntegritySettings",
    "KpiNode",
    "KpiSettings",
    "Settings",
    "SourceProfile",
    "StarSettings",
    "find_workspace",
    "load_settings",
]

CONFIG_FILE = "cxloop.toml"
DATABASE_FILE = "cxloop.duckdb"
SALT_FILE = ".cxloop-salt"


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {value!r}; use an IANA name such as 'Asia/Shanghai'") from exc
    return value


class SourceProfile(BaseModel):
    """How one source's export maps onto the canonical model."""

    model_config = ConfigDict(extra="forbid")

    channel: str | None = None
    kind: str | None = None
    format: str | None = None
    encoding: str = "auto"
    timezone: str | None = None
    date_format: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    account_namespace: str | None = None
    map: dict[str, str] = Field(default_factory=dict)
    scales: dict[str, tuple[float, float]] = Field(default_factory=dict)
    defaults: dict[str, str] = Field(default_factory=dict)

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))


class IdentitySettings(BaseModel):
    """Identity resolution: which identifiers link nothing, and how values are stored."""

    model_config = ConfigDict(extra="forbid")

    blocklist: list[str] = Field(default_factory=list)
    max_customers_per_identifier: int = 10
    hash_identifiers: bool = False


# -- managing by the loop: initiatives, cards, stars, integrity, KPI tree (docs/loop_manage.md) -----------
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


class Settings(BaseModel):
    """Everything a workspace is configured with."""

    model_config = ConfigDict(extra="allow")

    timezone: str = "Asia/Shanghai"
    min_n: int = 30
    channels: list[str] = Field(default_factory=list)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    sources: dict[str, SourceProfile] = Field(default_factory=dict)
    text: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    journeys: dict[str, Any] = Field(default_factory=dict)
    spark: dict[str, Any] = Field(default_factory=dict)
    initiatives: InitiativeSettings = Field(default_factory=InitiativeSettings)
    cards: CardSettings = Field(default_factory=CardSettings)
    stars: StarSettings = Field(default_factory=StarSettings)
    integrity: IntegritySettings = Field(default_factory=IntegritySettings)
    kpis: KpiSettings = Field(default_factory=KpiSettings)

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))

    def source_timezone(self, source: str | None) -> str:
        profile = self.sources.get(source or "")
        return (profile.timezone if profile and profile.timezone else None) or self.timezone


DEFAULT_CONFIG_TEXT = """\
# cxloop workspace settings. Environment variables CXLOOP_TIMEZONE and CXLOOP_MIN_N override these.
timezone = "Asia/Shanghai"   # naive times in exports are read in this zone (override per source)
min_n = 30                   # groups smaller than this are flagged low_n and not ranked
channels = ["hotline", "ivr", "chat", "email", "app", "ecommerce_review", "survey", "social",
            "community", "wecom", "store", "field_service"]

[identity]
blocklist = []                     # identifiers that must never link customers (switchboard numbers...)
max_customers_per_identifier = 10  # an identifier seen with more distinct customers is blocklisted
hash_identifiers = false           # store identifiers salted-hashed (salt in .cxloop-salt, not in the DB)

# Initiatives, red/yellow cards, CX stars, metric integrity and the KPI tree (docs/loop_manage.md), e.g.:
# [cards]
# yellow_at = 3
# red_at = 5
# cx_weight = 0.2
# [stars]
# metric = "3e"
# min_n = 30
# [integrity]
# exclude_flagged = false

# A source profile maps an export's columns onto canonical fields, e.g.:
# [sources.hotline]
# channel = "hotline"
# kind = "call"
# timezone = "Asia/Shanghai"
# [sources.hotline.map]
# text = "通话小结"
# occurred_at = "来电时间"
# phone = "主叫号码"
"""


def find_workspace(explicit: str | Path | None) -> Path:
    """`--workspace`, else CXLOOP_WORKSPACE, else the current directory."""
    chosen = explicit or os.environ.get("CXLOOP_WORKSPACE") or Path.cwd()
    return Path(chosen).expanduser().resolve()


def _env_overrides() -> dict[str, Any]:
    out: dict[str, Any] = {}
    if tz := os.environ.get("CXLOOP_TIMEZONE"):
        out["timezone"] = tz
    if min_n := os.environ.get("CXLOOP_MIN_N"):
        out["min_n"] = min_n
    return out


def load_settings(root: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Read `root/cxloop.toml`, apply environment and CLI overrides, validate."""
    path = root / CONFIG_FILE
    if not path.is_file():
        raise WorkspaceError(
            f"no cxloop workspace at {root} ({CONFIG_FILE} not found); create one with 'cxloop init {root}'",
            file=str(path),
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", file=str(path)) from exc
    data.update(_env_overrides())
    data.update(overrides or {})
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}", file=str(path), field=where) from exc
