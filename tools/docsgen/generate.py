"""The reference pages' generated parts, by marker name (see hooks.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from pydantic import BaseModel

from docsgen.api_ref import api_markdown, openapi_schema
from docsgen.cli_ref import cli_markdown
from docsgen.settings_ref import settings_markdown
from docsgen.vocab_ref import events_markdown, taxonomy_markdown


@cache
def cli() -> str:
    from cxloop.cli.main import app

    return cli_markdown(app)


# `spark` (and a future `engine`) are untyped tables owned by the Spark work (#17); documented in docs once typed.
SETTINGS_EXEMPT = frozenset({"spark"})


def settings_substitutes() -> dict[str, type[BaseModel]]:
    """`[api]` is typed by `cxloop.access.policy.ApiSettings`, which `cxloop.config` (a leaf) cannot import."""
    from cxloop.access.policy import ApiSettings

    return {"api": ApiSettings}


@cache
def settings() -> str:
    from cxloop.config import Settings

    return settings_markdown(Settings, substitutes=settings_substitutes())


@cache
def api() -> str:
    return api_markdown(openapi_schema())


REFERENCES: dict[str, Callable[[], str]] = {
    "cli": cli, "settings": settings, "api": api, "taxonomy": cache(taxonomy_markdown),
    "events": cache(events_markdown),
}
