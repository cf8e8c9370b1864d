"""`cxloop initiatives create|kr add|list|show|progress|update|link|close`: OKR initiatives (the outer loop).

JSON shapes (`--format json`):
- create / update / link  the initiative: {"initiative_id", "title", "status", "owner_department",
  "departments", "product", "topic_id", "change_date", "comparison", "painpoint", "estimated_value",
  "key_results": [...], "links": {"holds", "cases"}}
- kr add    {"kr_id", "metric", "topic", "where", "target", "due", "direction", "baseline", "baseline_n",
  "baseline_ci", "baseline_window", "unit"}
- list      {"initiatives": [{initiative_id, title, status, owner_department, product, topic, change_date,
  key_results}]}
- show      {"initiative_id", "status", "change_date", ..., "key_results": [{"kr_id", "metric", "topic",
  "where", "baseline", "current", "target", "attainment", "status", "series", "effect": {"before": {"value",
  "n", ...}, "after": {...}, "difference", "ci_low", "ci_high", "p_value", "significant", "verdict", "did",
  "nps_worth"}}], "exclude_flagged", "excluded_flagged"}
- progress  {"initiatives": [{initiative_id, title, status, key_results: [...], next_review}], "month", ...}
- close     the initiative + "released_holds"
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from cxloop.app import Workspace
from cxloop.app import initiatives_service as svc
from cxloop.cli.output import ExcludeFlaggedOpt, FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace

initiatives_app = typer.Typer(help="OKR initiatives with measured effect. 改进项目（OKR）与效果评估。",
                              no_args_is_help=True)
kr_app = typer.Typer(help="Key results of an initiative.", no_args_is_help=True)

MonthOpt = Annotated[str | None, typer.Option("--month", help="Review month, e.g. 2026-10 (default: latest).")]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Who does this (recorded in the history).")]
WhereOpt = Annotated[list[str] | None, typer.Option("--where", help="FIELD=VALUE filter; repeat it (same field: OR).")]


def _actor(actor: str | None) -> str:
    return actor or os.environ.get("USER") or "cli"


def _init_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("initiative_id", "title", "status", "owner_department", "product", "topic_id", "change_date")
    return [{"key": k, "value": data.get(k)} for k in keys]


@cli_command
def create(
    title: Annotated[str | None, typer.Option("--title", help="What the initiative fixes.")] = None,
    owner_dept: Annotated[str | None, typer.Option("--owner-dept", help="Owning department.")] = None,
    dept: Annotated[list[str] | None, typer.Option("--dept", help="A participating department; repeat it.")] = None,
    objective: Annotated[str | None, typer.Option("--objective", help="The objective (O of OKR).")] = None,
    from_painpoint: Annotated[
        int | None, typer.Option("--from-painpoint", help="Create from this rank of 'cxloop painpoints'.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Window of the pain-point ranking.")] = "30d",
    product: Annotated[str | None, typer.Option("--product", help="The product concerned.")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="The topic concerned.")] = None,
    change_date: Annotated[
        str | None, typer.Option("--change-date", help="Local date of the change whose effect is measured.")] = None,
    comparison: Annotated[
        list[str] | None,
        typer.Option("--comparison", help="FIELD=VALUE of the comparison group (default: other products)."),
    ] = None,
    status: Annotated[str, typer.Option("--status", help="proposed or active.")] = "proposed",
    actor: ActorOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Create an initiative, by hand or from a ranked pain point. 新建改进项目。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = svc.create_initiative(
            ws, title=title, owner_department=owner_dept, departments=dept, objective=objective,
            from_painpoint=from_painpoint, since=since, product=product, topic=topic, change_date=change_date,
            comparison=comparison, status=status, actor=_actor(actor))
    emit(data, fmt, rows=_init_rows(data), title="initiative")


@cli_command
def kr_add(
    initiative_id: Annotated[str, typer.Argument(help="Initiative id, e.g. INI-0001.")],
    metric: Annotated[str, typer.Option("--metric", help="A metric of 'cxloop metrics', or mention_share.")],
    topic: Annotated[str | None, typer.Option("--topic", help="Topic (for mention_share).")] = None,
    where: WhereOpt = None,
    target: Annotated[float | None, typer.Option("--target", help="Target value, in the metric's unit.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date, e.g. 2026-12-31.")] = None,
    direction: Annotated[str | None, typer.Option("--direction", help="higher or lower is better.")] = None,
    exclude_flagged: ExcludeFlaggedOpt = None,
    actor: ActorOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add a key result (a metric query); its baseline is measured now. 添加关键结果。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = svc.add_key_result(ws, initiative_id, metric=metric, topic=topic, where=where, target=target,
                                  due=due, direction=direction, exclude_flagged=exclude_flagged, actor=_actor(actor))
    emit(data, fmt, title="key result")


@cli_command
def list_(
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List initiatives. 改进项目列表。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = svc.list_initiatives(ws, status=status)
    emit(data, fmt, rows=data["initiatives"], title="initiatives")


def _kr_rows(krs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for k in krs:
        eff = k.get("effect") or {}
        did = eff.get("did") or {}
        out.append({"kr_id": k["kr_id"], "metric": k["metric"], "baseline": k.get("baseline"),
                    "current": k.get("current"), "target": k.get("target"), "status": k.get("status"),
                    "before": (eff.get("before") or {}).get("value"), "after": (eff.get("after") or {}).get("value"),
                    "p_value": eff.get("p_value"), "significant": eff.get("significant"),
                    "did": did.get("estimate")})
    return out


@cli_command
def show(
    initiative_id: Annotated[str, typer.Argument(help="Initiative id.")],
    month: MonthOpt = None,
    exclude_flagged: ExcludeFlaggedOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """An initiative with each key result's baseline, current value, progress and effect. 项目详情。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = svc.show_initiative(ws, initiative_id, month=month, exclude_flagged=exclude_flagged)
    emit(data, fmt, rows=_kr_rows(data["key_results"]), title=f"{data['initiative_id']} {data['title']}")


@cli_command
def progress(
    initiative_id: Annotated[str | None, typer.Argument(help="Initiative id (default: all open ones).")] = None,
    month: MonthOpt = None,
    exclude_flagged: ExcludeFlaggedOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Monthly summary: progress, effect and next review per initiative. 月度进展。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = svc.initiative_progress(ws, initiative_id, month=month, exclude_flagged=exclude_flagged)
    keys = ("kr_id", "metric", "baseline", "current", "target", "attainment", "status")
    rows = [{"initiative_id": i["initiative_id"], **{k: r.get(k) for k in keys},
             **{k: (r.get("effect") or {}).get(k) for k in ("difference", "p_value", "significant", "did")},
             "next_review": i["next_review"]}
            for i in data["initiatives"] for r in i["key_results"]]
    emit(data, fmt, rows=rows, title="initiative progress")


@cli_command
def update(
    initiative_id: Annotated[str, typer.Argument(help="Initiative id.")],
    status: Annotated[str | None, typer.Option("--status", help="active (from proposed).")] = None,
    change_date: Annotated[str | None, typer.Option("--change-date", help="Local date of the change.")] = None,
    actor: ActorOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Activate an initiative or set its change date. 更新项目状态。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = svc.update_initiative(ws, initiative_id, status=status, change_date=change_date, actor=_actor(actor))
    emit(data, fmt, rows=_init_rows(data), title="initiative")


@cli_command
def link(
    initiative_id: Annotated[str, typer.Argument(help="Initiative id.")],
    hold: Annotated[list[str] | None, typer.Option("--hold", help="A hold id; repeat it.")] = None,
    case: Annotated[list[str] | None, typer.Option("--case", help="A case id; repeat it.")] = None,
    actor: ActorOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Link holds (released when it closes) and cases to an initiative. 关联停售与工单。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = svc.link_initiative(ws, initiative_id, holds=hold, cases=case, actor=_actor(actor))
    emit(data, fmt, rows=_init_rows(data), title="initiative")


@cli_command
def close(
    initiative_id: Annotated[str, typer.Argument(help="Initiative id.")],
    status: Annotated[str, typer.Option("--status", help="done or dropped.")] = "done",
    reason: Annotated[str | None, typer.Option("--reason", help="Why it closes.")] = None,
    actor: ActorOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Close an initiative (done or dropped); its linked holds are released. 关闭项目。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = svc.close_initiative(ws, initiative_id, status=status, reason=reason, actor=_actor(actor))
    emit(data, fmt, rows=[*_init_rows(data), {"key": "released_holds", "value": data["released_holds"]}],
         title="initiative")


def register(app: typer.Typer) -> None:
    initiatives_app.command("create")(create)
    kr_app.command("add")(kr_add)
    initiatives_app.add_typer(kr_app, name="kr")
    initiatives_app.command("list")(list_)
    initiatives_app.command("show")(show)
    initiatives_app.command("progress")(progress)
    initiatives_app.command("update")(update)
    initiatives_app.command("link")(link)
    initiatives_app.command("close")(close)
    app.add_typer(initiatives_app, name="initiatives")
