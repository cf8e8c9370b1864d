"""One runner for every benchmark: `.venv/bin/python -m benchmarks.run [name ...] [--repeat N] [--no-append]`.

It discovers the modules `benchmarks/bench_<name>.py` (all of them without names) and runs each one:

- a module with `run(repeat: int = 3) -> list[dict]` (every parameter defaulted) returns result rows;
  the runner prints them as a table and appends a section to BENCHMARKS.md with the machine (uname,
  nproc, RAM, load average), the command, and the module's `TITLE` and `NOTES` (optional strings);
- otherwise the module's `main()` is called, with `--repeat N` / `--no-append` forwarded when its
  argparse defines them (else no arguments); it prints and appends its own section (the older per-area
  scripts do).

Rows are flat dicts; by convention `case`, `rows`, `runs`, `median_s` (median of the runs), `rows_per_s`
and `peak_rss_mb` (the peak RSS of the process that did the work, measured in a subprocess: see
`measure_child`). Helpers here are shared by the bench modules.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["ROOT", "append_section", "discover", "machine", "main", "measure_child", "print_table", "table_markdown"]

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
REPORT = ROOT / "BENCHMARKS.md"
HEADER = (
    "# Benchmarks\n\n"
    "Appended by `.venv/bin/python -m benchmarks.run [name ...]` (see benchmarks/README.md): one section per run,\n"
    "with the machine, the command, medians of repeated runs and peak RSS. Newest sections are at the end.\n"
)


def machine() -> str:
    """One line: kernel, cores, RAM and load average (other jobs on a shared machine skew timings)."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (f"{platform.system()} {platform.release()} {platform.machine()} · {os.cpu_count()} cores · "
            f"{ram:.0f} GiB RAM · load average {load:.1f} at start · Python {platform.python_version()}")


def measure_child(args: Sequence[str], repeat: int, timeout: float = 1800) -> list[dict[str, Any]]:
    """Run `python -m <args>` `repeat` times, each in a fresh process; each prints one JSON object last.

    The child measures itself (wall seconds per stage, `resource.getrusage` peak RSS), so start-up and
    imports are not counted and memory is the child's own peak.
    """
    results = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, "-m", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark child {' '.join(args)} failed: {proc.stderr.strip()[-2000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return results


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    return columns


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = _columns(rows)
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in cells:
        print("  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))))


def table_markdown(rows: list[dict[str, Any]]) -> str:
    columns = _columns(rows)
    rule = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(columns))) + "|"
    lines = ["| " + " | ".join(columns) + " |", rule]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def append_section(title: str, rows: list[dict[str, Any]], command: str, notes: str = "",
                   machine_line: str | None = None) -> None:
    """Append one section to BENCHMARKS.md (created with a short header when missing)."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    body = [f"## {title} — {stamp}", "", f"Machine: {machine_line or machine()}.", f"Command: `{command}`.", ""]
    if notes:
        body += [notes.strip(), ""]
    body += [table_markdown(rows), ""]
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else HEADER
    if not text.endswith("\n\n"):
        text = text.rstrip("\n") + "\n\n"
    REPORT.write_text(text + "\n".join(body) + "\n", encoding="utf-8")


def discover() -> dict[str, str]:
    """name -> module for every benchmarks/bench_<name>.py."""
    return {p.stem.removeprefix("bench_"): f"benchmarks.{p.stem}" for p in sorted(HERE.glob("bench_*.py"))}


def _runs_alone(func: Callable[..., Any]) -> bool:
    return all(p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in inspect.signature(func).parameters.values())


def run_module(name: str, module_name: str, *, repeat: int, append: bool, command: str) -> None:
    module = importlib.import_module(module_name)
    run = getattr(module, "run", None)
    if callable(run) and _runs_alone(run):
        machine_line = machine()  # before the runs: the load average they started under
        kwargs = {"repeat": repeat} if "repeat" in inspect.signature(run).parameters else {}
        rows = run(**kwargs)
        print(f"\n{getattr(module, 'TITLE', name)}")
        print_table(rows)
        if append:
            append_section(getattr(module, "TITLE", name), rows, command, getattr(module, "NOTES", ""), machine_line)
        return
    entry = getattr(module, "main", None)
    if not callable(entry):
        raise SystemExit(f"{module_name} has neither run() with defaults nor main()")
    # forward the runner's options to a main() whose argparse knows them (read from its source)
    source = inspect.getsource(module)
    forwarded = ["--repeat", str(repeat)] if '"--repeat"' in source else []
    forwarded += ["--no-append"] if not append and '"--no-append"' in source else []
    saved = sys.argv
    sys.argv = [module_name, *forwarded]
    try:
        entry()
    finally:
        sys.argv = saved


def main(argv: Sequence[str] | None = None) -> None:
    found = discover()
    parser = argparse.ArgumentParser(description="Run benchmarks/bench_*.py and append results to BENCHMARKS.md")
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all): {', '.join(found)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the median is reported")
    parser.add_argument("--no-append", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in found]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(found)}")
    command = " ".join([".venv/bin/python -m benchmarks.run", *map(shlex.quote, argv or sys.argv[1:])])
    for name in args.names or list(found):
        run_module(name, found[name], repeat=args.repeat, append=not args.no_append, command=command)


if __name__ == "__main__":
    main()
