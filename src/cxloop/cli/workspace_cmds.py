"""`cxloop init` and `cxloop status`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxloop.app import Workspace
from cxloop.app.lake import init_engine, warehouse_uri
from cxloop.app.lake_service import status_any
from cxloop.cli.output import FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace


@cli_command
def init(
    path: Annotated[Path, typer.Argument(help="Folder for the new workspace (created if missing).")],
    engine: Annotated[str, typer.Option(help="duckdb (embedded, default) or spark (a lake of Parquet tables "
                                        "written and read by Spark).")] = "duckdb",
    warehouse: Annotated[str | None, typer.Option(help="Spark: where the lake lives (a folder, hdfs://, s3a://; "
                                                  "default <workspace>/lake).")] = None,
    master: Annotated[str | None, typer.Option(help="Spark: the master URL (default local[*]).")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Create a workspace: cxloop.toml, cxloop.duckdb, the identifier salt (and a Spark lake). 新建工作区。"""
    settings = init_engine(engine, warehouse, master)
    with Workspace.init(path, settings) as ws:
        data = {"workspace": str(ws.root), "config": str(ws.root / "cxloop.toml"), "engine": engine}
        if settings is not None:
            data["warehouse"] = warehouse_uri(ws)
    emit(data, fmt)


@cli_command
def status(workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Counts of records, events, customers, batches and rejects, by channel. 工作区概况。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = status_any(ws)
    rows = [{"key": k, "value": v} for k, v in data.items() if k != "by_channel"]
    rows += [{"key": f"channel:{k}", "value": v} for k, v in data["by_channel"].items()]
    emit(data, fmt, rows=rows, title="cxloop status")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(status)
