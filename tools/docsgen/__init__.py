"""Generators of the documentation site's reference pages (docs/reference/*.md) from the code.

`hooks.py` is the MkDocs hook that expands `<!-- cxloop-reference: NAME -->` markers at build time; the
tests in tests/docs import the same generators to check that everything is documented.
"""

from docsgen.cli_ref import CommandDoc, cli_markdown, walk_commands
from docsgen.settings_ref import SettingDoc, settings_markdown, walk_settings

__all__ = ["CommandDoc", "SettingDoc", "cli_markdown", "settings_markdown", "walk_commands", "walk_settings"]
