"""`cxloop journeys …` and `cxloop customers timeline`: flows, variants, episodes, health, IVR, journey map.

JSON shapes (`--format json`):
- flows      {"edges": [{"from", "to", "count", "median_seconds"}], "by", "per", "lifecycle"}
  (flows and variants also read an event-log file directly, without a workspace: `--log FILE` with
  `--case/--activity/--timestamp` columns, XES/pm4py names by default; then "per" is "case")
- variants   {"variants": [{"path": [...], "count", "share"}], "sequences", "distinct_variants", ...}
- episodes   {"episodes": [{episode_id, customer_id, topic, contacts, channels, channel_switches, transfers,
              started_at, ended_at, elapsed_seconds, outcome, sentiment_path, effort, time, outcome_score,
              emotion, health, ...}], "health_by": {"stage"|"product"|"channel": [...]}, "count",
              "mean_health", "notes"}
- worst      {"journeys": [episode + "timeline": [items]], "notes"}
- ivr        {"calls", "lost", "lost_rate", "nodes": [{node, visits, lost, lost_rate, lost_rate_ci, low_n,
              to_agent, self_service}], "paths": [{path, calls, lost, lost_rate}], "min_visits"}
- switching  {"channels", "matrix": [{"from", "to", "count"}], "transitions", "switches", "switch_pct"}
- map        {"stages", "touchpoints", "cells": [{stage, touchpoint, volume, events, records, nps, nps_n,
              csat, csat_n, sentiment, negative_pct, pain_points: [...]}], "notes"}
- customers timeline  {"customer_id", "items": [{"at","channel","kind","event_type","stage","text","topic",
              "sentiment"}]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cxloop.app import Workspace
from cxloop.app import journeys_service as service
from cxloop.app.journeys_log import LogColumns, log_sequences
from cxloop.cli.customers_cmds import customers_app
from cxloop.cli.output import EngineOpt, FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace
from cxloop.errors import UsageError

journeys_app = typer.Typer(
    help="Customer journeys: flows, variants, episodes, health, IVR paths, journey map. 客户旅程。",
    no_args_is_help=True,
)

ByOpt = Annotated[str, typer.Option("--by", help="Flow node: event_type, channel, touchpoint or stage.")]
PerOpt = Annotated[
    str | None,
    typer.Option("--per", help="Sequence: session, customer or episode (default: session when sessions exist)."),
]
LifecycleOpt = Annotated[
    str | None,
    typer.Option("--lifecycle", help="Keep only events whose attributes lifecycle:transition is this (e.g. complete)."),
]

LogOpt = Annotated[
    Path | None,
    typer.Option("--log", help="Read this event log (CSV/TSV/Parquet/XES) directly instead of a workspace."),
]
CaseOpt = Annotated[str, typer.Option("--case", help="With --log: the case (sequence) column.")]
ActivityOpt = Annotated[str, typer.Option("--activity", help="With --log: the activity column.")]
TimestampOpt = Annotated[str, typer.Option("--timestamp", help="With --log: the time column.")]
_LOG = LogColumns()


def _log(path: Path, by: str, per: str | None, case: str, activity: str, timestamp: str,
         lifecycle: str | None) -> service.SequenceLog:
    if by != "event_type" or per not in (None, "case"):
        raise UsageError("with --log, nodes are the activities and sequences the cases: drop --by/--per",
                         field="log")
    return log_sequences(path, columns=LogColumns(case, activity, timestamp), lifecycle=lifecycle)


def _open(workspace: Any) -> Workspace:
    return Workspace.open(find_workspace(workspace), read_only=True)


@journeys_app.command("flows")
@cli_command
def flows_cmd(
    by: ByOpt = "event_type", per: PerOpt = None, lifecycle: LifecycleOpt = None,
    engine: EngineOpt = None, log: LogOpt = None, case: CaseOpt = _LOG.case,
    activity: ActivityOpt = _LOG.activity, timestamp: TimestampOpt = _LOG.timestamp,
    workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Directly-follows graph (counts, median seconds) of steps within each sequence. 流转图。"""
    if log is not None:
        data = service.flows_from(_log(log, by, per, case, activity, timestamp, lifecycle))
    else:
        with _open(workspace) as ws:
            data = service.flows(ws, by=by, per=per, lifecycle=lifecycle, engine=engine)
    emit(data, fmt, rows=data["edges"], title=f"flows by {data['by']} per {data['per']}")


@journeys_app.command("variants")
@cli_command
def variants_cmd(
    by: ByOpt = "event_type", per: PerOpt = None, lifecycle: LifecycleOpt = None,
    top: Annotated[int, typer.Option("--top", help="How many variants.")] = 20,
    engine: EngineOpt = None, log: LogOpt = None, case: CaseOpt = _LOG.case,
    activity: ActivityOpt = _LOG.activity, timestamp: TimestampOpt = _LOG.timestamp,
    workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Most frequent paths (variants) with their share of sequences in %. 路径变体。"""
    if log is not None:
        data = service.variants_from(_log(log, by, per, case, activity, timestamp, lifecycle), top=top)
    else:
        with _open(workspace) as ws:
            data = service.variants(ws, by=by, per=per, lifecycle=lifecycle, top=top, engine=engine)
    rows = [{"count": v["count"], "share": v["share"], "path": " -> ".join(v["path"])} for v in data["variants"]]
    emit(data, fmt, rows=rows, title=f"variants of {data['sequences']} sequences")


@journeys_app.command("episodes")
@cli_command
def episodes_cmd(
    limit: Annotated[int, typer.Option("--limit", help="How many episodes to list (worst first).")] = 50,
    engine: EngineOpt = None, workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Service episodes (customer + topic + time gap) with health, rolled up by stage/product/channel. 服务旅程。"""
    with _open(workspace) as ws:
        data = service.episodes(ws, limit=limit, engine=engine)
    cols = ("episode_id", "contacts", "channel_switches", "transfers", "elapsed_seconds", "outcome", "health")
    emit(data, fmt, rows=[{k: e[k] for k in cols} for e in data["episodes"]],
         title=f"{data['count']} episodes, mean health {data['mean_health']}")


@journeys_app.command("worst")
@cli_command
def worst_cmd(
    top: Annotated[int, typer.Option("--top", help="How many journeys.")] = 10,
    workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table,
) -> None:
    """The least healthy service episodes with their full timelines. 最差旅程。"""
    with _open(workspace) as ws:
        data = service.worst_journeys(ws, top=top)
    rows = [{"customer_id": j["customer_id"], "topic": j["topic"], "contacts": j["contacts"],
             "channels": j["channels"], "outcome": j["outcome"], "health": j["health"]} for j in data["journeys"]]
    emit(data, fmt, rows=rows, title="worst journeys")


@journeys_app.command("ivr")
@cli_command
def ivr_cmd(
    top: Annotated[int, typer.Option("--top", help="How many node paths.")] = 10,
    engine: EngineOpt = None, workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table,
) -> None:
    """IVR nodes ranked by lost rate, and the most frequent menu paths. IVR 路径分析。"""
    with _open(workspace) as ws:
        data = service.ivr_paths(ws, top=top, engine=engine)
    emit(data, fmt, rows=data["nodes"], title=f"IVR: {data['calls']} calls, lost rate {data['lost_rate']}%")


@journeys_app.command("switching")
@cli_command
def switching_cmd(
    engine: EngineOpt = None, workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table
) -> None:
    """Channel-switching matrix of customers' consecutive service contacts. 渠道切换。"""
    with _open(workspace) as ws:
        data = service.channel_switching(ws, engine=engine)
    emit(data, fmt, rows=data["matrix"], title=f"channel switching ({data['switch_pct']}% switch)")


@journeys_app.command("map")
@cli_command
def map_cmd(
    engine: EngineOpt = None, workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table
) -> None:
    """Journey map: stage x touchpoint with volume, NPS, CSAT, sentiment and top pain points. 旅程地图。"""
    with _open(workspace) as ws:
        data = service.journey_map(ws, engine=engine)
    rows = [{**{k: v for k, v in c.items() if k != "pain_points"},
             "pain_points": ", ".join(p["name_en"] or p["topic_id"] for p in c["pain_points"])} for c in data["cells"]]
    emit(data, fmt, rows=rows, title="journey map")


@cli_command
def timeline_cmd(
    identifier: Annotated[str, typer.Argument(help="Any identifier or customer id.")],
    workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Everything a customer did and said, across channels, in time order. 客户时间线。"""
    with _open(workspace) as ws:
        data = service.timeline(ws, identifier)
    emit(data, fmt, rows=data["items"], title=f"timeline of {data['customer_id']}")


def register(app: typer.Typer) -> None:
    app.add_typer(journeys_app, name="journeys")
    customers_app.command("timeline")(timeline_cmd)
