"""`cxloop users`, `cxloop tokens` and `cxloop audit`: people, their API tokens and the audit log.

The CLI acts as the workspace owner (whoever can open the workspace files: an unscoped admin with PII);
these commands are audited under the actor 'owner'.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Annotated

import typer

from cxloop.app import Workspace
from cxloop.app import users_service as users
from cxloop.app.audit_service import list_audit, verify_audit
from cxloop.cli.output import FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace
from cxloop.errors import UsageError

users_app = typer.Typer(help="Users of the API and dashboard. 用户管理。", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens of users. 接口令牌。", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="User name.")]


def _password(given: str | None, prompt: bool) -> str | None:
    """--password-stdin reads one line from stdin; else $CXLOOP_PASSWORD; else an interactive prompt."""
    if given == "-":
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("CXLOOP_PASSWORD"):
        return os.environ["CXLOOP_PASSWORD"]
    if prompt:
        if not sys.stdin.isatty():
            raise UsageError("no password: give --password-stdin and pipe it, or set CXLOOP_PASSWORD")
        return getpass.getpass("password: ")
    return None


@users_app.command("add")
@cli_command
def users_add(
    name: NameArg,
    role: Annotated[str, typer.Option(help="admin, analyst, agent, viewer or partner.")],
    dept: Annotated[str | None, typer.Option("--dept", help="Department: the user sees its rows only.")] = None,
    partner: Annotated[str | None, typer.Option(help="Partner (role partner): the user sees its rows only.")] = None,
    pii: Annotated[bool, typer.Option("--pii", help="May see phone numbers, e-mails... unmasked (audited).")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read a login password from stdin.")] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add a user; prints their first API token (shown this once). 添加用户。"""
    password = _password("-" if password_stdin else None, prompt=False)
    with Workspace.open(find_workspace(workspace)) as ws:
        result = users.add_user(ws, name, role, department=dept, partner=partner, pii=pii, password=password)
    emit(result, fmt, title=f"user {name}")


@users_app.command("list")
@cli_command
def users_list(workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Users with role, scope and live tokens. 列出用户。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        rows = users.list_users(ws)
    emit({"users": rows}, fmt, rows=rows, title="users")


@users_app.command("disable")
@cli_command
def users_disable(name: NameArg, workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Disable a user: tokens and sessions stop working. 停用用户。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        emit(users.disable_user(ws, name), fmt)


@users_app.command("set-password")
@cli_command
def users_set_password(
    name: NameArg,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Set a user's login password (stdin, $CXLOOP_PASSWORD or a prompt). 设置密码。"""
    password = _password("-" if password_stdin else None, prompt=True)
    assert password is not None
    with Workspace.open(find_workspace(workspace)) as ws:
        emit(users.set_password(ws, name, password), fmt)


@tokens_app.command("create")
@cli_command
def tokens_create(name: NameArg, workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """A new API token for a user (shown this once). 创建令牌。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        emit(users.create_token(ws, name), fmt)


@tokens_app.command("list")
@cli_command
def tokens_list(
    name: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Token ids (never the tokens), their users and whether revoked. 列出令牌。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        rows = users.list_tokens(ws, name)
    emit({"tokens": rows}, fmt, rows=rows, title="tokens")


@tokens_app.command("revoke")
@cli_command
def tokens_revoke(
    token: Annotated[str, typer.Argument(help="The token, or its id (tokens list).")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Revoke a token at once. 撤销令牌。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        emit(users.revoke_token(ws, token), fmt)


@cli_command
def audit(
    since: Annotated[str, typer.Option(help="A span back from now (7d, 24h, 30m) or an ISO date.")] = "7d",
    actor: Annotated[str | None, typer.Option(help="Only this user ('owner': the CLI).")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action or family, e.g. login, users, pii.view.")]
    = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 1000,
    verify: Annotated[bool, typer.Option("--verify", help="Check the hash chain instead of listing.")] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """The audit log: changes, logins, token writes, unmasked PII views. 审计日志。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        if verify:
            result = verify_audit(ws)
            emit(result, fmt)
            if not result["ok"]:
                raise typer.Exit(4)
            return
        rows = list_audit(ws, since=since, actor=actor, action=action, limit=limit)
    emit({"audit": rows}, fmt, rows=rows, title=f"audit since {since}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.command()(audit)
