"""Workspace settings: defaults < cxloop.toml < CXLOOP_* environment < CLI flags.

One `Settings` model, read by `load_settings`; there are no global settings objects.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cxloop.errors import ConfigError, WorkspaceError
from cxloop.settings.alerts import DEFAULT_ALERTS_TOML, AlertSettings, CaseSettings
from cxloop.settings.journeys import JourneyConfig
from cxloop.settings.manage import (
    CardSettings,
    InitiativeSettings,
    IntegritySettings,
    KpiNode,
    KpiSettings,
    StarSettings,
)
from cxloop.settings.metrics import MetricsSettings
from cxloop.settings.text import TextSettings

__all__ = [
    "CONFIG_FILE",
    "DATABASE_FILE",
    "DEFAULT_CONFIG_TEXT",
    "ENGINE_KINDS",
    "CardSettings",
    "EngineSettings",
    "IdentitySettings",
    "InitiativeSettings",
    "IntegritySettings",
    "KpiNode",
    "KpiSettings",
    "Settings",
    "SourceProfile",
    "StarSettings",
    "engine_toml",
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

    channel: str | None = Field(
        default=None,
        description="Channel of every row (hotline, chat, ecommerce_review…); a mapped `channel` column wins per row.",
    )
    kind: str | None = Field(
        default=None,
        description="Kind of every row (call, review, survey_response, event…); a mapped `kind` column wins per row.",
    )
    format: str | None = Field(
        default=None, description="csv, tsv, xlsx, jsonl, parquet or xes; default: from the file name.",
    )
    encoding: str = Field(
        default="auto",
        description="auto (strict UTF-8, else GB18030, a superset of GBK), or a codec name such as gbk.",
    )
    timezone: str | None = Field(
        default=None, description="IANA zone of naive times in this source; default: the workspace `timezone`.",
    )
    date_format: str | None = Field(
        default=None, description="strptime format, only when the built-in date formats do not fit.",
    )
    delimiter: str | None = Field(default=None, description="Field separator (csv/tsv only).")
    sheet: str | None = Field(default=None, description="Sheet to read (xlsx only); default: the first sheet.")
    account_namespace: str | None = Field(
        default=None, description="Accounts are stored as <namespace>:<account>; default: the source name.",
    )
    map: dict[str, str] = Field(
        default_factory=dict, description="Canonical field -> column of the export (e.g. text = \"评价内容\").",
    )
    scales: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="Declared scale [low, high] per score field; defaults nps 0–10, csat 1–5, ces 1–7, rating 1–5.",
    )
    defaults: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical field -> value used where the export's cell is empty or the column is absent.",
    )

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))


class IdentitySettings(BaseModel):
    """Identity resolution: which identifiers link nothing, and how values are stored."""

    model_config = ConfigDict(extra="forbid")

    blocklist: list[str] = Field(
        default_factory=list,
        description="Identifiers that never link customers (switchboard numbers, shared e-mails).",
    )
    max_customers_per_identifier: int = Field(
        default=10,
        description="An identifier seen beside more distinct values of another identifier type is blocklisted "
                    "automatically.",
    )
    hash_identifiers: bool = Field(
        default=False, description="Store identifiers salted-hashed (salt in .cxloop-salt, not in the database).",
    )


ENGINE_KINDS = ("duckdb", "spark")


class EngineSettings(BaseModel):
    """`[engine]`: where a workspace's records live and which engine runs its jobs.

    `kind = "duckdb"` (the default, no table needed): the embedded DuckDB file. `kind = "spark"`: a lake of
    Parquet tables under `warehouse` (any path or URI Spark reads: a folder, `hdfs://`, `s3a://`; default
    `<workspace>/lake`), written and read by a Spark session on `master`. `conf` goes to the session as is;
    cxloop always sets `spark.sql.session.timeZone` to UTC (its times are naive UTC: in any other zone
    Spark would shift them when it reads or writes them, and months, days and hours would differ from
    DuckDB's).
    """

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(default="duckdb", description="Where the records live and which engine runs ingest, "
                      "identity and enrichment: duckdb (the embedded file) or spark (a Parquet lake).")
    master: str = Field(default="local[*]", description="The Spark master: local[*], spark://host:7077, yarn, "
                        "k8s://… (kind = spark).")
    warehouse: str | None = Field(default=None, description="Where the lake's Parquet tables live: a folder or "
                                  "any URI Spark reads (hdfs://, s3a://); default <workspace>/lake.")
    conf: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Spark configuration passed to the session as is "
        "(spark.sql.session.timeZone is always UTC).")

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in ENGINE_KINDS:
            raise ValueError(f"unknown engine {value!r}; use {' or '.join(ENGINE_KINDS)}")
        return value


class Settings(BaseModel):
    """Everything a workspace is configured with."""

    model_config = ConfigDict(extra="allow")

    timezone: str = Field(
        default="Asia/Shanghai",
        description="IANA zone in which naive times of exports are read (override per source).",
    )
    min_n: int = Field(default=30, description="Groups with fewer observations are flagged low_n and not ranked.")
    channels: list[str] = Field(
        default_factory=list,
        description="Channels the workspace knows (informational; any channel string is accepted).",
    )
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    sources: dict[str, SourceProfile] = Field(default_factory=dict)
    text: TextSettings = Field(default_factory=lambda: TextSettings())
    metrics: MetricsSettings = Field(default_factory=lambda: MetricsSettings())
    journeys: JourneyConfig = Field(default_factory=JourneyConfig)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    spark: dict[str, Any] = Field(default_factory=dict)  # older `[spark]` table: master + spark.* keys
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    cases: CaseSettings = Field(default_factory=CaseSettings)
    api: dict[str, Any] = Field(default_factory=dict)  # REST API limits: cxloop.access.policy.ApiSettings
    initiatives: InitiativeSettings = Field(default_factory=InitiativeSettings)
    cards: CardSettings = Field(default_factory=CardSettings)
    stars: StarSettings = Field(default_factory=StarSettings)
    integrity: IntegritySettings = Field(default_factory=IntegritySettings)
    kpis: KpiSettings = Field(default_factory=KpiSettings)

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_timezone(v)))

    def spark_options(self) -> tuple[str, dict[str, str]]:
        """(master, session conf) for a Spark session: `[engine]` over the older `[spark]` table."""
        explicit = "master" in self.engine.model_fields_set
        master = self.engine.master if explicit or "master" not in self.spark else str(self.spark["master"])
        conf = {k: str(v) for k, v in self.spark.items() if k.startswith("spark.")}
        conf.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in self.engine.conf.items()})
        return master, conf

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

""" + DEFAULT_ALERTS_TOML


def engine_toml(engine: EngineSettings) -> str:
    """The `[engine]` table of cxloop.toml for `engine` (TOML basic strings share JSON's escapes)."""
    lines = ["", "# Where the records live and which engine runs the jobs (see docs/spark.md)", "[engine]",
             f"kind = {json.dumps(engine.kind)}", f"master = {json.dumps(engine.master)}"]
    if engine.warehouse:
        lines.append(f"warehouse = {json.dumps(engine.warehouse, ensure_ascii=False)}")
    else:
        lines.append('# warehouse = "s3a://bucket/cxloop"   # default: <workspace>/lake')
    lines.append("[engine.conf]   # passed to the Spark session as is; spark.sql.session.timeZone is always UTC")
    lines += [f"{json.dumps(k)} = {json.dumps(str(v))}" for k, v in engine.conf.items()]
    return "\n".join(lines) + "\n"


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
