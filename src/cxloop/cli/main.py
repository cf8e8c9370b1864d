"""The `cxloop` command: a thin adapter over the app layer.

Each command module registers its commands on the root Typer app with `register(app)`.
"""

from __future__ import annotations

import sys

import typer

try:  # typer >= 0.24 vendors click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover
    from click import exceptions as click_exc  # type: ignore[no-redef]

from cxloop.cli import (
    access_cmds,
    alerts_cmds,
    cases_cmds,
    customers_cmds,
    demo_cmd,
    eval_cmds,
    ingest_cmds,
    initiatives_cmds,
    journeys_cmds,
    manage_cmds,
    metrics_cmds,
    report_cmds,
    serve_cmd,
    text_cmds,
    workspace_cmds,
)
from cxloop.cli.output import OutputFormat, print_error
from cxloop.errors import UsageError

app = typer.Typer(
    name="cxloop",
    help="cxloop: offline-first customer-experience management. 全渠道客户之声：聆听、理解、度量、旅程、闭环。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (workspace_cmds, ingest_cmds, customers_cmds, journeys_cmds, metrics_cmds, demo_cmd, eval_cmds,
               text_cmds, alerts_cmds, cases_cmds, serve_cmd, access_cmds, initiatives_cmds, manage_cmds, report_cmds):
    module.register(app)


def _wants_json(argv: list[str]) -> bool:
    for i, arg in enumerate(argv):
        if arg in ("--format", "-f") and i + 1 < len(argv) and argv[i + 1] == "json":
            return True
        if arg == "--format=json":
            return True
    return False


def main() -> None:
    """Console-script entry point: usage errors become one line and exit code 2."""
    argv = sys.argv[1:]
    try:
        code = app(args=argv, prog_name="cxloop", standalone_mode=False)
    except click_exc.NoArgsIsHelpError:
        sys.exit(0)
    except click_exc.UsageError as exc:
        print_error(UsageError(exc.format_message()), OutputFormat.json if _wants_json(argv) else None)
        sys.exit(2)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
