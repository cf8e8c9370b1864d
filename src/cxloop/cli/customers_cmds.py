"""`cxloop customers …`: one customer behind many identifiers. Other modules attach commands to
`customers_app` (the journeys module adds `timeline`)."""

from __future__ import annotations

from typing import Annotated

import typer

from cxloop.app import Workspace
from cxloop.app.customers_service import show_customer
from cxloop.cli.output import FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace

customers_app = typer.Typer(help="Customers and their identifiers. 客户与身份识别。", no_args_is_help=True)


@customers_app.command("show")
@cli_command
def show(
    identifier: Annotated[str, typer.Argument(help="Any identifier: phone, e-mail, account, openid, device or id.")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """A customer's identifiers and record count. 查看客户。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = show_customer(ws, identifier)
    rows = [{"type": "customer_id", "value": data["customer_id"]}, *data["identifiers"],
            {"type": "records", "value": data["records"]}, {"type": "events", "value": data["events"]}]
    emit(data, fmt, rows=rows, title="customer")


def register(app: typer.Typer) -> None:
    app.add_typer(customers_app, name="customers")
