"""`cxloop report monthly|partner`: the monthly executive report and a partner's report, as HTML or PDF.

JSON shape (`--format json`): {"out", "format", "bytes", "month"}.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cxloop.app import Workspace
from cxloop.app import reports_service as svc
from cxloop.cli.output import FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace

report_app = typer.Typer(help="Monthly and partner reports (HTML or PDF). 月度报告与合作伙伴报告。",
                         no_args_is_help=True)
MonthOpt = Annotated[str | None, typer.Option("--month", help="Month, e.g. 2026-10 (default: the latest in the data).")]
OutOpt = Annotated[str, typer.Option("--out", help="report.html or report.pdf (by the suffix).")]
LangOpt = Annotated[str, typer.Option("--lang", help="zh or en.")]


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise typer.BadParameter("use zh or en", param_hint="--lang")
    return lang


@cli_command
def monthly(out: OutOpt, month: MonthOpt = None, lang: LangOpt = "zh", workspace: WorkspaceOpt = None,
            fmt: FormatOpt = OutputFormat.table) -> None:
    """The monthly executive report: metrics and changes, pain points, drivers, Andon, alerts and cases,
    initiatives, CX stars, integrity. 月度客户体验报告。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        result = svc.write_report(svc.monthly_report(ws, month, lang=_lang(lang)), out)
    emit(result, fmt, rows=[result], title="report")


@cli_command
def partner(partner: Annotated[str, typer.Option("--partner", help="The partner, as in the data.")], out: OutOpt,
            month: MonthOpt = None, lang: LangOpt = "zh", workspace: WorkspaceOpt = None,
            fmt: FormatOpt = OutputFormat.table) -> None:
    """A partner's report, scoped exactly like a partner user of it. 合作伙伴报告。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        result = svc.write_report(svc.partner_report(ws, partner, month, lang=_lang(lang)), out)
    emit(result, fmt, rows=[result], title="report")


def register(app: typer.Typer) -> None:
    report_app.command()(monthly)
    report_app.command()(partner)
    app.add_typer(report_app, name="report")
