"""`cxloop cases …`: the inner loop's cases — list, show, create, assign, move, note, close.

JSON shapes (`--format json`):
- list  {"cases": [{"case_id", "title", "customer_id", "product", "status", "priority", "owner",
         "department", "origin", "opened_at", "due_at", ...}]}
- show, create, assign, move, note, close  the case with "records" and "history": [{"at", "actor",
         "change", "status", "note"}]
"""

from __future__ import annotations

from typing import Annotated

import typer

from cxloop.app import Workspace
from cxloop.app import cases_service as cases
from cxloop.app.customers_service import find_customer_id
from cxloop.cli.alerts_cmds import actor
from cxloop.cli.output import FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace
from cxloop.loop.cases import CASE_STATUSES

cases_app = typer.Typer(help="Cases: owner, SLA, workflow, root cause. 工单。", no_args_is_help=True)

CaseArg = Annotated[str, typer.Argument(help="The case's id.")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="A note kept in the case's history.")]


def _emit_case(data: dict[str, object], fmt: OutputFormat) -> None:
    history = data.get("history")
    emit(data, fmt, rows=history if isinstance(history, list) else None, title=f"case {data['case_id']}")


@cases_app.command("list")
@cli_command
def list_cmd(
    status: Annotated[str | None, typer.Option("--status", help=f"open or one of: {', '.join(CASE_STATUSES)}.")]
    = None,
    origin: Annotated[str | None, typer.Option("--origin", help="alert, andon, repeat_contact, detractor, "
                                               "complaint or manual.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's cases.")] = None,
    department: Annotated[str | None, typer.Option("--department", help="Only this department's cases.")] = None,
    product: Annotated[str | None, typer.Option("--product", help="Only this product.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (newest first).")] = 100,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Cases, newest first. 工单列表。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = cases.list_cases(ws, status=status, origin=origin, owner=owner, department=department,
                                product=product, limit=limit)
    emit(data, fmt, rows=data["cases"], title="cases")


@cases_app.command("show")
@cli_command
def show(case_id: CaseArg, workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """A case with its records and history. 查看工单。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = cases.show_case(ws, case_id)
    _emit_case(data, fmt)


@cases_app.command("create")
@cli_command
def create(
    title: Annotated[str, typer.Option("--title", help="What the case is about (default: the alert's or record's).")]
    = "",
    customer: Annotated[str | None, typer.Option("--customer", help="Any identifier of the customer.")] = None,
    product: Annotated[str | None, typer.Option("--product", help="The product concerned.")] = None,
    priority: Annotated[str, typer.Option("--priority", help="urgent, high, normal or low (sets the SLA).")]
    = "normal",
    owner: Annotated[str | None, typer.Option("--owner", help="Who works on it.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="The owner's team.")] = None,
    department: Annotated[str | None, typer.Option("--department", help="The responsible department.")] = None,
    record: Annotated[list[str] | None, typer.Option("--record", help="A record id; repeat it.")] = None,
    from_alert: Annotated[str | None, typer.Option("--from-alert", help="Open the case from this alert.")] = None,
    from_record: Annotated[str | None, typer.Option("--from-record", help="Open the case from this complaint "
                                                    "record.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Open a case by hand, or from an alert or a complaint record. 新建工单。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        customer_id = find_customer_id(ws, customer) if customer else None
        change = cases.CaseChange(title=title, customer_id=customer_id, product=product, priority=priority,
                                  owner=owner, team=team, department=department, records=tuple(record or ()),
                                  origin="alert" if from_alert else "complaint" if from_record else "manual",
                                  origin_ref=from_alert or from_record)
        data = cases.create_case(ws, change, actor=actor())
    _emit_case(data, fmt)


@cases_app.command("assign")
@cli_command
def assign(
    case_id: CaseArg,
    owner: Annotated[str | None, typer.Option("--owner", help="The new owner.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="The new team.")] = None,
    department: Annotated[str | None, typer.Option("--department", help="The new department.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Give a case an owner, team or department. 分派工单。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = cases.assign_case(ws, case_id, owner=owner, team=team, department=department, actor=actor())
    _emit_case(data, fmt)


@cases_app.command("move")
@cli_command
def move(
    case_id: CaseArg,
    status: Annotated[str, typer.Argument(help="in_progress, waiting_customer, resolved, closed or reopened.")],
    note: NoteOpt = None,
    root_cause: Annotated[str | None, typer.Option("--root-cause", help="Closing: the root-cause department.")]
    = None,
    resolution: Annotated[str | None, typer.Option("--resolution", help="Closing: the resolution code.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Move a case to another status (illegal moves are refused, naming the allowed ones). 流转工单。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = cases.move_case(ws, case_id, status, actor=actor(), note=note, root_cause_department=root_cause,
                               resolution_code=resolution)
    _emit_case(data, fmt)


@cases_app.command("note")
@cli_command
def note_cmd(
    case_id: CaseArg,
    text: Annotated[str, typer.Argument(help="The note.")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add a note to a case's history. 备注。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = cases.note_case(ws, case_id, text, actor=actor())
    _emit_case(data, fmt)


@cases_app.command("close")
@cli_command
def close(
    case_id: CaseArg,
    root_cause: Annotated[str | None, typer.Option("--root-cause", help="The root-cause department (required).")]
    = None,
    resolution: Annotated[str | None, typer.Option("--resolution", help="The resolution code (required).")] = None,
    note: NoteOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Close a case: needs the root-cause department and a resolution code. 关闭工单。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = cases.close_case(ws, case_id, root_cause_department=root_cause, resolution_code=resolution,
                                actor=actor(), note=note)
    _emit_case(data, fmt)


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
