"""`cxloop demo DIR`: generate, ingest and summarise a demo company's VOC data."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cxloop.app.demo_service import build_demo
from cxloop.cli.output import FormatOpt, OutputFormat, cli_command, emit


def _rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for source, info in data["files"].items():
        got = data["ingest"].get(source, {})
        rows.append({"source": source, "file": info["file"], "rows": info["rows"],
                     "inserted": got.get("inserted"), "unchanged": got.get("unchanged"),
                     "rejected": got.get("rejected")})
    return rows


@cli_command
def demo(
    path: Annotated[Path, typer.Argument(help="Folder of the demo workspace (ground_truth.json goes beside it).")],
    records: Annotated[int, typer.Option(help="How many VOC records to generate (events come on top).")] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files.")] = 7,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing demo workspace.")] = False,
    no_ingest: Annotated[bool, typer.Option("--no-ingest", help="Only generate the files and profiles.")] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Build a demo workspace of a multi-channel electronics company with planted truths. 生成演示数据。"""
    console = Console(stderr=True)

    def progress(message: str) -> None:
        if fmt is OutputFormat.table:
            console.print(f"[dim]… {message}[/dim]")

    data = build_demo(path, records=records, seed=seed, force=force, ingest_files=not no_ingest,
                      progress=progress)
    if fmt is not OutputFormat.table:
        emit(data, fmt, rows=_rows(data))
        return
    emit(data, fmt, rows=_rows(data), title=f"cxloop demo: {data['workspace']}")
    status = data["summary"].get("status", {})
    if isinstance(status, dict) and "by_channel" in status:
        emit(status, fmt, rows=[{"channel": k, "records": v} for k, v in status["by_channel"].items()],
             title=f"records {status.get('records')} · events {status.get('events')} · customers "
                   f"{status.get('customers')} · rejects {status.get('rejects')}")
    for name, section in data["summary"].items():
        if name in ("status", "next_steps"):
            continue
        if isinstance(section, dict) and isinstance(section.get("rows"), list):
            emit(section, fmt, rows=section["rows"], title=name.replace("_", " "))
        else:
            emit(section if isinstance(section, dict) else {"result": section}, fmt, title=name.replace("_", " "))
    sys.stdout.write(f"ground truth: {data['ground_truth']}\n")
    sys.stdout.write("next:\n" + "".join(f"  {cmd}\n" for cmd in data["summary"].get("next_steps", [])))


def register(app: typer.Typer) -> None:
    app.command()(demo)
