"""How every command prints: `--format table|json|csv`, one JSON document on stdout, errors on stderr."""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from cxloop.errors import CxloopError

__all__ = [
    "EngineOpt",
    "ExcludeFlaggedOpt",
    "FormatOpt",
    "OutputFormat",
    "WorkspaceOpt",
    "cli_command",
    "emit",
    "print_error",
]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output: table for people, json or csv for machines."),
]
WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace", "-w", help="Workspace folder (default: $CXLOOP_WORKSPACE, else the current folder)."
    ),
]
ExcludeFlaggedOpt = Annotated[
    bool | None,
    typer.Option("--exclude-flagged/--include-flagged",
                 help="Leave responses flagged by 'cxloop integrity run' out (default: integrity.exclude_flagged)."),
]
EngineOpt = Annotated[
    str | None,
    typer.Option("--engine", help="duckdb or spark (default: the workspace's [engine] kind; spark on a DuckDB "
                 "workspace reads a Parquet export of it)."),
]

P = ParamSpec("P")
R = TypeVar("R")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=_jsonable, allow_nan=False)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.0f}"
    if isinstance(value, list | dict):
        return to_json(value)
    return str(value)


def emit(
    data: Any,
    fmt: OutputFormat,
    *,
    rows: Sequence[dict[str, Any]] | None = None,
    title: str | None = None,
) -> None:
    """Print `data` as one JSON document, or `rows` (default: the key/value pairs) as a table or CSV."""
    if fmt is OutputFormat.json:
        sys.stdout.write(to_json(data) + "\n")
        return
    if rows is None:
        rows = [{"key": k, "value": v} for k, v in data.items()] if isinstance(data, dict) else list(data)
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    if fmt is OutputFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    Console().print(table)


def print_error(error: CxloopError, fmt: OutputFormat | None) -> None:
    if fmt is OutputFormat.json:
        sys.stderr.write(to_json({"error": error.to_dict()}) + "\n")
    else:
        sys.stderr.write(f"error: {error.message}\n")


def cli_command(func: Callable[P, R]) -> Callable[P, R]:
    """Turn cxloop errors into one clear stderr line and the family's exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        fmt = kwargs.get("fmt")
        fmt = fmt if isinstance(fmt, OutputFormat) else None
        try:
            return func(*args, **kwargs)
        except CxloopError as exc:
            print_error(exc, fmt)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            sys.stderr.write("interrupted; nothing of the unfinished step was written\n")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:  # the reader went away (`cxloop ... | head`): stop quietly, as shell tools do
            with contextlib.suppress(OSError, ValueError):  # no second error when Python flushes at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None
        except Exception as exc:  # an internal error: still one line, exit 5
            print_error(CxloopError(f"internal error: {type(exc).__name__}: {exc}"), fmt)
            raise typer.Exit(5) from None

    return wrapper
