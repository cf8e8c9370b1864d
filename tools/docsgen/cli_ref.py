"""The CLI reference: every command and option of the Typer app, from the click command tree."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import typer


@dataclass
class ParamDoc:
    """One option or argument as a reader sees it."""

    names: str
    help: str
    default: str
    kind: str  # "option" or "argument"


@dataclass
class CommandDoc:
    """One command (a leaf or a group) with its path from the root, e.g. 'metrics' or 'cases list'."""

    path: str
    help: str
    is_group: bool
    params: list[ParamDoc] = field(default_factory=list)


def _default(param: Any) -> str:
    value = param.default
    if value is None or value == () or (param.is_flag and value is False):
        return ""
    if hasattr(value, "value"):  # enums
        value = value.value
    return f"`{value}`"


def _param(param: Any) -> ParamDoc:
    if param.param_type_name == "argument":
        name = (param.metavar or param.name or "").upper()
        return ParamDoc(name, getattr(param, "help", None) or "", _default(param), "argument")
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    return ParamDoc(names, param.help or "", _default(param), "option")


def walk_commands(app: typer.Typer, prefix: str = "") -> Iterator[CommandDoc]:
    """Every command of `app`, depth first, in the order `--help` lists them (sorted by name)."""
    root = typer.main.get_command(app)
    yield from _walk(root, prefix)


def _walk(command: Any, path: str) -> Iterator[CommandDoc]:
    subcommands = getattr(command, "commands", None)
    params = [_param(p) for p in command.params if p.name != "help" and not getattr(p, "hidden", False)]
    if path:
        yield CommandDoc(path, (command.help or "").strip(), subcommands is not None, params)
    for name in sorted(subcommands or {}):
        sub = subcommands[name]
        if not getattr(sub, "hidden", False):
            yield from _walk(sub, f"{path} {name}".strip())


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def cli_markdown(app: typer.Typer) -> str:
    """Markdown: one section per command, a table of its arguments and options."""
    out: list[str] = []
    for cmd in walk_commands(app):
        level = "#" * (2 + cmd.path.count(" ")) if cmd.is_group or " " in cmd.path else "##"
        out += [f"{level} `cxloop {cmd.path}`", "", _cell(cmd.help), ""]
        if cmd.params:
            out += ["| argument / option | default | description |", "| --- | --- | --- |"]
            out += [f"| {p.names if p.kind == 'option' else p.names.upper()} | {p.default} | {_cell(p.help)} |"
                    for p in cmd.params]
            out.append("")
    return "\n".join(out)


def undocumented_commands(app: typer.Typer) -> list[str]:
    """'PATH' for a command without help and 'PATH OPTION' for an argument or option without help."""
    missing: list[str] = []
    for cmd in walk_commands(app):
        if not cmd.help:
            missing.append(cmd.path)
        missing += [f"{cmd.path} {p.names}" for p in cmd.params if not p.help.strip()]
    return missing
