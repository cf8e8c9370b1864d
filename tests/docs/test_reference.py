"""The reference is generated from the code and nothing in it is undocumented: every CLI command, argument
and option has help text, every cxloop.toml setting a description, every REST operation a summary. The
checks are shown to fail on an undocumented addition."""

from __future__ import annotations

import typer
from docsgen.api_ref import api_markdown, openapi_schema, undocumented_operations
from docsgen.cli_ref import cli_markdown, undocumented_commands, walk_commands
from docsgen.generate import SETTINGS_EXEMPT, settings_substitutes
from docsgen.settings_ref import settings_markdown, undocumented_settings, walk_settings
from docsgen.vocab_ref import events_markdown, taxonomy_markdown
from pydantic import Field

from cxloop.cli.main import app
from cxloop.config import Settings
from cxloop.model.events import EVENT_TYPES


def test_every_command_and_option_is_documented() -> None:
    assert undocumented_commands(app) == []


def test_every_setting_is_documented() -> None:
    assert undocumented_settings(Settings, settings_substitutes(), SETTINGS_EXEMPT) == []


def test_every_api_operation_is_documented() -> None:
    assert undocumented_operations(openapi_schema()) == []


def test_an_option_added_without_help_is_caught() -> None:
    probe = typer.Typer()
    probe.registered_commands = list(app.registered_commands)
    probe.registered_groups = list(app.registered_groups)

    @probe.command("frobnicate")
    def frobnicate(level: int = typer.Option(3, "--level"),
                   name: str = typer.Option("x", "--name", help="Documented.")) -> None:
        """A documented command with one undocumented option."""

    assert undocumented_commands(probe) == ["frobnicate `--level`"]


def test_a_command_added_without_help_is_caught() -> None:
    probe = typer.Typer()
    probe.registered_commands = list(app.registered_commands)

    @probe.command("mystery")
    def mystery() -> None:
        pass

    assert "mystery" in undocumented_commands(probe)


def test_a_setting_added_without_description_is_caught() -> None:
    class Probe(Settings):
        new_knob: int = 3
        documented_knob: int = Field(default=3, description="Documented.")

    assert undocumented_settings(Probe, settings_substitutes(), SETTINGS_EXEMPT) == ["new_knob"]


def test_the_cli_reference_lists_every_command_with_its_options() -> None:
    text = cli_markdown(app)
    for cmd in walk_commands(app):
        assert f"`cxloop {cmd.path}`" in text
        for param in cmd.params:
            assert param.names in text
    assert "`--format`, `-f`" in text and "`--records`" in text


def test_the_settings_reference_has_types_defaults_and_the_typed_sections() -> None:
    text = settings_markdown(Settings, settings_substitutes())
    assert "| `min_n` | `int` | `30` |" in text
    assert "`text.pii.redact_addresses`" in text and "`text.llm.base_url`" in text
    assert "| `metrics.first_seen_days` | `int` | `90` |" in text
    assert "`journeys.health.target_hours`" in text and "`api.rate_limit`" in text
    names = {d.name for d in walk_settings(Settings, substitutes=settings_substitutes())}
    assert {"alerts.rules[].customers", "sources.<name>.map", "kpis.nodes[].target"} <= names


def test_the_api_and_vocabulary_references() -> None:
    text = api_markdown(openapi_schema())
    assert "### `GET /api/v1/metrics/{metric}`" in text or "/api/v1/metrics" in text
    assert "### `GET /health`" in text
    events = events_markdown()
    assert all(f"`{e}`" in events for e in EVENT_TYPES)
    assert "`logistics.delay`" in taxonomy_markdown()
