"""`cxloop ingest` and `cxloop rejects`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxloop.app import Workspace
from cxloop.app.ingest_upload import ingest_path, parse_maps
from cxloop.app.lake_service import rejects_any
from cxloop.cli.output import EngineOpt, FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace


@cli_command
def ingest(
    file: Annotated[str, typer.Argument(help="Export to ingest: CSV/TSV, XLSX, JSONL, Parquet or XES(.gz); on a "
                                          "Spark lake also a glob or URI ('exports/*.csv', s3a://...).")],
    source: Annotated[
        str | None, typer.Option(help="Source name; its profile in cxloop.toml maps the columns.")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="Ad hoc: channel of every row (a mapped column wins).")] = None,
    kind: Annotated[str | None, typer.Option(help="Ad hoc: kind of every row, e.g. review, call, event.")] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="Ad hoc: FIELD=COLUMN, repeatable.")] = None,
    encoding: Annotated[str | None, typer.Option(help="auto (UTF-8, else GB18030), utf-8, gbk, gb18030…")] = None,
    date_format: Annotated[str | None, typer.Option(help="strptime format of occurred_at, e.g. %d.%m.%Y %H:%M")] = None,
    format_: Annotated[str | None, typer.Option("--input-format", help="csv|tsv|xlsx|jsonl|parquet|xes")] = None,
    timezone: Annotated[str | None, typer.Option(help="Timezone of naive times (default: the workspace's).")] = None,
    engine: EngineOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Ingest an export (on a Spark lake: a glob of files) as one atomic batch; bad rows are kept as rejects.
    导入渠道数据。"""
    options = {"source": source, "channel": channel, "kind": kind, "map": parse_maps(map_ or []),
               "encoding": encoding, "date_format": date_format, "format": format_, "timezone": timezone,
               "engine": engine}
    with Workspace.open(find_workspace(workspace)) as ws:
        result = ingest_path(ws, file, options)
    emit(result, fmt, title=f"ingest {Path(file).name}")


@cli_command
def rejects(
    batch: Annotated[str | None, typer.Option(help="A batch id, or 'last' (default: every batch).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rejects.")] = 1000,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Rows that were rejected, with file, row, field and reason. 查看被拒绝的行。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        rows = rejects_any(ws, batch=batch, limit=limit)
    emit({"rejects": rows}, fmt, rows=rows, title="rejects")


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(rejects)
