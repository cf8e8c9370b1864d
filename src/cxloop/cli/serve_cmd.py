"""`cxloop serve`: the dashboard and the REST API over a workspace (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from cxloop.cli.output import WorkspaceOpt, cli_command
from cxloop.config import find_workspace, load_settings


@cli_command
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8600,
    workspace: WorkspaceOpt = None,
) -> None:
    """Serve the dashboard at / and the REST API at /api/v1 (docs at /docs, login at /login). 启动看板与接口服务。

    Every route but /health, /openapi.json, /docs and /login needs a credential: create users and tokens
    with 'cxloop users add'. Bind to 127.0.0.1 (the default) unless a TLS proxy stands in front."""
    import uvicorn

    from cxloop.web import create_app

    root = find_workspace(workspace)
    load_settings(root)  # a missing or broken workspace fails here, with its exit code
    uvicorn.run(create_app(root), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command()(serve)
