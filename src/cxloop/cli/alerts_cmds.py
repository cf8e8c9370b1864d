"""`cxloop alerts …` and `cxloop holds …`: evaluate the alert rules, the alert inbox, Andon holds.

JSON shapes (`--format json`):
- alerts run   {"alerts": [{"alert_id", "rule", "kind", "severity", "product", "topic", "customers",
                "records", "occurred_at", "created_at", "status", ...}], "delivered", "dead_letters", "holds",
                "cases", "run_id"}  (only the alerts new in this run)
- alerts list  {"alerts": [...]}; alerts ack|close -> the alert; alerts redeliver -> {"tried", "delivered",
                "dead_letters"}; alerts deliveries -> {"deliveries": [{"delivery_id", "sink", "alert_ids",
                "status", "attempts", "last_try_at", "error"}]}
- holds list   {"holds": [{"hold_id", "product", "issue", "status", "customers", "opened_at", "released_at",
                "evidence": [record ids], "reason", ...}]}; holds release -> the hold
"""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

from cxloop.app import Workspace
from cxloop.app import alerts_service as alerts
from cxloop.app import andon_service as andon
from cxloop.app.delivery_service import list_deliveries, redeliver
from cxloop.cli.output import FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace

alerts_app = typer.Typer(help="Alert rules and the alert inbox. 告警规则与告警。", no_args_is_help=True)
holds_app = typer.Typer(help="Andon holds: products stopped until the cause is fixed. Andon 停售。",
                        no_args_is_help=True)

_ROW = ("alert_id", "rule", "severity", "status", "product", "customers", "occurred_at", "title")


def actor() -> str:
    """Who a CLI change is recorded as: $CXLOOP_ACTOR, else the operating-system user."""
    return os.environ.get("CXLOOP_ACTOR") or f"cli:{getpass.getuser()}"


@alerts_app.command("run")
@cli_command
def run(
    no_deliver: Annotated[bool, typer.Option("--no-deliver", help="Store new alerts; send them on a later run.")]
    = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Evaluate the rules on data not yet evaluated; store and deliver new alerts. 运行告警规则。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = alerts.run_alerts(ws, actor=actor(), deliver=not no_deliver)
    title = (f"{len(data['alerts'])} new alerts, {data['holds']} new holds, {data['cases']} new cases; "
             f"delivered {data['delivered']}, dead letters {data['dead_letters']}")
    emit(data, fmt, rows=[{k: a.get(k) for k in _ROW} for a in data["alerts"]], title=title)


@alerts_app.command("list")
@cli_command
def list_cmd(
    status: Annotated[str | None, typer.Option("--status", help="open, backfilled, acked or closed.")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule's alerts.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Data time: a length (30d) or a date.")] = None,
    product: Annotated[str | None, typer.Option("--product", help="Only this product.")] = None,
    department: Annotated[str | None, typer.Option("--department", help="Only this recipient department.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (newest data first).")] = 100,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """The alert inbox, newest data first. 告警列表。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = alerts.list_alerts(ws, status=status, rule=rule, since=since, product=product,
                                  department=department, limit=limit)
    emit(data, fmt, rows=[{k: a.get(k) for k in _ROW} for a in data["alerts"]], title="alerts")


@alerts_app.command("ack")
@cli_command
def ack(
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    note: Annotated[str | None, typer.Option("--note", help="Why, or what happens next.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Acknowledge an alert. 确认告警。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = alerts.ack_alert(ws, alert_id, actor=actor(), note=note)
    emit(data, fmt, title="alert")


@alerts_app.command("close")
@cli_command
def close(
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    note: Annotated[str | None, typer.Option("--note", help="Why it is closed.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Close an alert. 关闭告警。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = alerts.close_alert(ws, alert_id, actor=actor(), note=note)
    emit(data, fmt, title="alert")


@alerts_app.command("redeliver")
@cli_command
def redeliver_cmd(workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Retry dead letters (deliveries whose every try failed). 重发失败的告警。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = redeliver(ws, ws.settings.alerts)
    emit(data, fmt, title="redelivery")


@alerts_app.command("deliveries")
@cli_command
def deliveries(
    status: Annotated[str | None, typer.Option("--status", help="pending, sent or dead (dead letters).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (newest first).")] = 100,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Deliveries to the sinks with their last try and error. 告警投递记录。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = list_deliveries(ws, status=status, limit=limit)
    emit(data, fmt, rows=data["deliveries"], title="deliveries")


@holds_app.command("list")
@cli_command
def holds_list(
    status: Annotated[str | None, typer.Option("--status", help="on_hold or released.")] = None,
    product: Annotated[str | None, typer.Option("--product", help="Only this product.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Andon holds with their evidence. 停售列表。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = andon.list_holds(ws, status=status, product=product)
    rows = [{**{k: h[k] for k in ("hold_id", "product", "issue", "status", "customers", "opened_at",
                                  "released_at")}, "evidence": len(h["evidence"])} for h in data["holds"]]
    emit(data, fmt, rows=rows, title="holds")


@holds_app.command("release")
@cli_command
def holds_release(
    hold_id: Annotated[str, typer.Argument(help="The hold's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the product may be sold again.")],
    initiative: Annotated[str | None, typer.Option("--initiative", help="The initiative that fixed the cause.")]
    = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Release a hold with a reason. 解除停售。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = andon.release_hold(ws, hold_id, reason=reason, actor=actor(), initiative_id=initiative)
    emit({k: v for k, v in data.items() if k != "evidence"} | {"evidence": data["evidence"]}, fmt, title="hold")


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(holds_app, name="holds")
