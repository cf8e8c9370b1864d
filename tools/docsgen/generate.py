"""The reference pages' generated parts, by marker name (see hooks.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from docsgen.api_ref import api_markdown, openapi_schema
from docsgen.cli_ref import cli_markdown
from docsgen.settings_ref import settings_markdown
from docsgen.vocab_ref import events_markdown, taxonomy_markdown


@cache
def cli() -> str:
    from cxloop.cli.main import app

    return cli_markdown(app)


@cache
def settings() -> str:
    from cxloop.access.policy import ApiSettings
    from cxloop.config import Settings

    return settings_markdown(Settings, substitutes={"api": ApiSettings})


@cache
def api() -> str:
    return api_markdown(openapi_schema())


REFERENCES: dict[str, Callable[[], str]] = {
    "cli": cli, "settings": settings, "api": api, "taxonomy": cache(taxonomy_markdown),
    "events": cache(events_markdown),
}
