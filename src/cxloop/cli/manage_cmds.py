"""`cxloop cards run|list`, `cxloop stars`, `cxloop integrity run|list`, `cxloop kpis tree`.

JSON shapes (`--format json`):
- cards run   {"month", "run_id", "cards": [{card_id, month, team, color, incidents, andon, by_kind,
  evidence: [{incident_id, kind, occurred_at, channel, text}]}], "teams": [{team, incidents, card, e3,
  penalty, cx_score, cx_weight, performance_points}], "rules"}
- cards list  {"cards": [...]}
- stars       {"stars": [{"rank", "agent_id" (or "team" at --level team), "team", "score", "n", "shrunk",
  "ci_low", "ci_high", "eligible", "excluded_reason"}], "month", "level", "metric", "peer_mean", "tau2",
  "min_n", "exclude_flagged", "excluded_flagged"}
- integrity run   {"run_id", "flags", "records", "by_kind", "checks", "false_positive_rate", "seconds"}
- integrity list  {"flags": [{"flag_id", "kind", "agent_id", "team", "unit", "month", "records",
  "evidence", "severity"}], "run_id"}
- kpis tree   {"month", "tree": {id, name, metric, value, n, ci_low, ci_high, target, trend, status,
  children: [...]}, "nodes": [...], "declared"}
"""

from __future__ import annotations

from typing import Annotated

import typer

from cxloop.app import Workspace, cards_service, integrity_service, kpis_service, stars_service
from cxloop.cli.initiatives_cmds import MonthOpt
from cxloop.cli.output import ExcludeFlaggedOpt, FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace

cards_app = typer.Typer(help="Red/yellow complaint cards per team. 投诉红黄牌。", no_args_is_help=True)
integrity_app = typer.Typer(help="Metric integrity: flag gamed or broken scores. 指标真实性检查。",
                            no_args_is_help=True)
kpis_app = typer.Typer(help="The KPI tree. KPI 树。", no_args_is_help=True)

RequiredMonth = Annotated[str, typer.Option("--month", help="The month, e.g. 2026-10.")]


@cli_command
def cards_run(month: RequiredMonth, workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Hand out the month's cards to teams over the thresholds. 发放本月红黄牌。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = cards_service.run_cards(ws, month=month)
    emit(data, fmt, rows=data["teams"], title=f"cards {data['month']}")


@cli_command
def cards_list(
    team: Annotated[str | None, typer.Option("--team", help="Only this team.")] = None,
    month: MonthOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Cards handed out, with their incidents. 红黄牌列表。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = cards_service.list_cards(ws, team=team, month=month)
    rows = [{k: c[k] for k in ("card_id", "month", "team", "color", "incidents", "andon", "by_kind")}
            for c in data["cards"]]
    emit(data, fmt, rows=rows, title="cards")


@cli_command
def stars(
    month: RequiredMonth,
    level: Annotated[str, typer.Option("--level", help="agent or team.")] = "agent",
    metric: Annotated[str | None, typer.Option("--metric", help="3e, nps or csat (default: stars.metric).")] = None,
    exclude_flagged: ExcludeFlaggedOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Monthly CX stars: shrunk scores, minimum sample, integrity exclusions. 月度服务之星。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = stars_service.compute_stars(ws, month=month, level=level, metric=metric,
                                           exclude_flagged=exclude_flagged)
    emit(data, fmt, rows=data["stars"], title=f"CX stars {data['month']} ({data['metric']})")


@cli_command
def integrity_run(workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Run every integrity check and store the flags. 运行指标真实性检查。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = integrity_service.run_integrity(ws)
    rows = [{"kind": k, "flags": v} for k, v in data["by_kind"].items()]
    emit(data, fmt, rows=rows, title=f"integrity run {data['run_id']}: {data['flags']} flags")


@cli_command
def integrity_list(
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind of flag.")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent.")] = None,
    month: MonthOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """The stored integrity flags with their evidence. 真实性标记列表。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = integrity_service.list_flags(ws, kind=kind, agent_id=agent, month=month)
    rows = [{"flag_id": f["flag_id"], "kind": f["kind"], "agent_id": f["agent_id"], "team": f["team"],
             "month": f["month"], "severity": f["severity"], "records": len(f["records"])} for f in data["flags"]]
    emit(data, fmt, rows=rows, title="integrity flags")


@cli_command
def kpis_tree(
    month: MonthOpt = None,
    exclude_flagged: ExcludeFlaggedOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """The KPI tree for a month: value, target, trend and status per node. KPI 树。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = kpis_service.kpi_tree(ws, month=month, exclude_flagged=exclude_flagged)
    rows = [{k: n.get(k) for k in ("id", "name", "owner", "weight", "value", "n", "target", "status")}
            | {"trend": (n.get("trend") or {}).get("direction")} for n in data["nodes"]]
    emit(data, fmt, rows=rows, title=f"KPI tree {data['month']}")


def register(app: typer.Typer) -> None:
    cards_app.command("run")(cards_run)
    cards_app.command("list")(cards_list)
    app.add_typer(cards_app, name="cards")
    app.command("stars")(stars)
    integrity_app.command("run")(integrity_run)
    integrity_app.command("list")(integrity_list)
    app.add_typer(integrity_app, name="integrity")
    kpis_app.command("tree")(kpis_tree)
    app.add_typer(kpis_app, name="kpis")
