"""`cxloop init` and `cxloop status`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxloop.app import Workspace
from cxloop.cli.output import FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace


@cli_command
def init(
    path: Annotated[Path, typer.Argument(help="Folder for the new workspace (created if missing).")],
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Create a workspace: cxloop.toml, cxloop.duckdb and the identifier salt. 新建工作区。"""
    with Workspace.init(path) as ws:
        emit({"workspace": str(ws.root), "config": str(ws.root / "cxloop.toml")}, fmt)


@cli_command
def status(workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Counts of records, events, customers, batches and rejects, by channel. 工作区概况。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = ws.status()
    rows = [{"key": k, "value": v} for k, v in data.items() if k != "by_channel"]
    rows += [{"key": f"channel:{k}", "value": v} for k, v in data["by_channel"].items()]
    emit(data, fmt, rows=rows, title="cxloop status")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(status)
