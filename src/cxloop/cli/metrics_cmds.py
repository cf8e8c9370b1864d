"""`cxloop metrics`, `cxloop drivers`, `cxloop painpoints`, `cxloop emerging`, `cxloop export parquet`,
`cxloop facts refresh`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxloop.app import Workspace
from cxloop.app import metrics_service as svc
from cxloop.cli.output import EngineOpt, ExcludeFlaggedOpt, FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace
from cxloop.metrics.query import METRICS, parse_query

SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Window start: a date (2026-01-01), a length (30d, 4w) or all.")
]
AsofOpt = Annotated[
    str | None, typer.Option("--asof", help="Anchor day of the window (default: latest occurred_at).")
]
WhereOpt = Annotated[
    list[str] | None, typer.Option("--where", help="FIELD=VALUE filter; repeat it (same field: OR).")
]


@cli_command
def metrics(
    metric: Annotated[str, typer.Argument(help=f"One of: {', '.join(METRICS)}.")],
    by: Annotated[
        str | None, typer.Option("--by", help="Dimensions and at most one grain, e.g. month,channel.")
    ] = None,
    where: WhereOpt = None,
    since: SinceOpt = None,
    asof: AsofOpt = None,
    grain: Annotated[
        str | None, typer.Option("--grain", help="day, week (ISO, Monday), month or quarter; same as --by.")
    ] = None,
    compare: Annotated[
        str | None, typer.Option("--compare", help="'previous': the previous window or period.")
    ] = None,
    repeat_days: Annotated[int, typer.Option("--repeat-days", help="Repeat-contact horizon in days.")] = 7,
    exclude_flagged: ExcludeFlaggedOpt = None,
    engine: EngineOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """A metric with n and a 95% CI per group. 指标：NPS、CSAT、CES、3E、FCR、重复来电率等。"""
    parts = [grain] if grain else []
    parts += [by] if by else []
    query = parse_query(
        metric, by=",".join(parts) or None, where=where, since=since, asof=asof, compare=compare,
        repeat_days=repeat_days,
    )
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = svc.compute_metric(ws, query, engine=engine, exclude_flagged=exclude_flagged)
    emit(data, fmt, rows=data["rows"], title=f"{metric} ({data['engine']})")


@cli_command
def drivers(
    target: Annotated[str, typer.Option("--target", help="nps or csat.")] = "nps",
    features: Annotated[
        str, typer.Option("--features", help="Comma-separated: topic and/or dimensions (channel, product...).")
    ] = "topic",
    where: WhereOpt = None,
    since: SinceOpt = None,
    asof: AsofOpt = None,
    exclude_flagged: ExcludeFlaggedOpt = None,
    engine: EngineOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Key drivers: which topics move NPS/CSAT, with CIs and the uplift if detractors became passives."""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = svc.driver_analysis(
            ws, target=target, features=features, where=where, since=since, asof=asof, engine=engine,
            exclude_flagged=exclude_flagged,
        )
    emit(data, fmt, rows=data["drivers"], title=f"drivers of {target}")


_PAINPOINT_COLUMNS = ("topic", "product", "score", "nps_at_stake", "respondents", "detractor_share", "customers",
                      "negative_share", "volume", "trend", "owner_department")
_EMERGING_COLUMNS = ("label", "kind", "product", "first_seen_week", "first_detected", "observed", "expected",
                     "p_value", "active", "owner_department")


@cli_command
def painpoints(
    since: SinceOpt = "30d",
    asof: AsofOpt = None,
    where: WhereOpt = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Drill down: this topic id.")] = None,
    product: Annotated[str | None, typer.Option("--product", help="Drill down: this product.")] = None,
    verbatims: Annotated[int, typer.Option("--verbatims", help="Show N verbatims of --topic/--product.")] = 0,
    detractors: Annotated[
        bool, typer.Option("--detractors", help="Verbatims of NPS detractors only (what the score counts).")
    ] = False,
    level: Annotated[
        str, typer.Option("--level", help="topic, or parent: topic families (children rolled up).")
    ] = "topic",
    limit: Annotated[int, typer.Option("--limit", help="At most this many pain points.")] = 20,
    exclude_flagged: ExcludeFlaggedOpt = None,
    engine: EngineOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Ranked pain points per topic x product, with the score's parts. 痛点排行。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = svc.rank_painpoints(
            ws, since=since, asof=asof, where=where, topic=topic, product=product, verbatims=verbatims,
            detractor_verbatims=detractors, level=level, limit=limit, engine=engine, exclude_flagged=exclude_flagged,
        )
    rows = data.get("verbatims") if verbatims and "verbatims" in data else data["painpoints"]
    if fmt is OutputFormat.table and rows is data["painpoints"]:  # the terminal gets the ranking's parts
        rows = [{k: p.get(k) for k in _PAINPOINT_COLUMNS} for p in rows]
    emit(data, fmt, rows=rows, title="pain points")


@cli_command
def emerging(
    asof: AsofOpt = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Replay every day from this date, 30d or 'all' (default: issues at --asof)."),
    ] = None,
    window_days: Annotated[int, typer.Option("--window-days", help="Recent window tested.")] = 7,
    baseline_days: Annotated[int, typer.Option("--baseline-days", help="Baseline before it.")] = 56,
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level (Bonferroni).")] = 0.01,
    engine: EngineOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Emerging issues: topic, discovered-cluster or uncovered-text volume per product above its seasonal
    baseline. 新兴问题。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = svc.detect_emerging(
            ws, asof=asof, since=since, window_days=window_days, baseline_days=baseline_days, alpha=alpha, engine=engine
        )
    rows = data["issues"]
    if fmt is OutputFormat.table:
        rows = [{k: i.get(k) for k in _EMERGING_COLUMNS} for i in rows]
    emit(data, fmt, rows=rows, title="emerging issues")


export_app = typer.Typer(help="Export workspace tables.", no_args_is_help=True)


@cli_command
def parquet(
    folder: Annotated[Path, typer.Argument(help="Target folder (tables partitioned by month and source).")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Export records, events, enrichments and taxonomy to Parquet (reused while still current)."""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = svc.export_parquet(ws, folder)
    emit(data, fmt, rows=[{"table": k, **v} for k, v in data["tables"].items()], title="parquet export")


facts_app = typer.Typer(help="Derived tables that speed up metrics.", no_args_is_help=True)


@cli_command
def refresh(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even when current.")] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Rebuild the time-ordered topic facts behind painpoints/emerging (run after ingest or enrich)."""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = svc.refresh_topic_facts(ws, force=force)
    emit(data, fmt, rows=[data], title="topic facts")


def register(app: typer.Typer) -> None:
    app.command()(metrics)
    app.command()(drivers)
    app.command()(painpoints)
    app.command()(emerging)
    export_app.command("parquet")(parquet)
    app.add_typer(export_app, name="export")
    facts_app.command("refresh")(refresh)
    app.add_typer(facts_app, name="facts")
