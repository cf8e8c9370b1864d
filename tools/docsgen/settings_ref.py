"""The `cxloop.toml` reference: every setting with its type, default and description, from the pydantic
settings models (`cxloop.config.Settings` and the models it nests)."""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined


@dataclass
class SettingDoc:
    """One setting: `name` is its TOML path (`identity.blocklist`, `sources.<name>.map`, `alerts.rules[].kind`);
    `table` is true for a table (a nested model) whose keys follow."""

    name: str
    type: str
    default: str
    description: str
    table: bool = False


def _models_in(annotation: Any) -> tuple[str, list[type[BaseModel]]]:
    """('', [M]) for a model, ('.<name>', [...]) for dict[str, M], ('[]', [...]) for list[M]; unions unpacked."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _models_in(args[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "", [annotation]
    if origin in (typing.Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        if len(present) == 1:
            return _models_in(present[0])
        parts = [_models_in(a) for a in present]
        return ("", [m for _, ms in parts for m in ms]) if all(s == "" and ms for s, ms in parts) else ("", [])
    if origin in (dict, Mapping) and len(args) == 2:
        inner = _models_in(args[1])
        return (".<name>" + inner[0], inner[1]) if inner[1] else ("", [])
    if origin is list and args:
        inner = _models_in(args[0])
        return ("[]" + inner[0], inner[1]) if inner[1] else ("", [])
    return "", []


def _type_name(annotation: Any) -> str:
    text = repr(annotation) if not isinstance(annotation, type) else annotation.__name__
    for noise in ("typing.", "pydantic.types.", "NoneType"):
        text = text.replace(noise, "None" if noise == "NoneType" else "")
    return text


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "(required)"
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return ""
    if isinstance(value, enum.Enum):
        value = value.value
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def _discriminator(model: type[BaseModel]) -> str:
    kind = model.model_fields.get("kind")
    args = typing.get_args(kind.annotation) if kind is not None else ()
    return f" (kind = \"{args[0]}\")" if len(args) == 1 else ""


def walk_settings(model: type[BaseModel], prefix: str = "",
                  substitutes: Mapping[str, type[BaseModel]] | None = None) -> Iterator[SettingDoc]:
    """Every field of `model`, depth first; `substitutes` types an untyped table (`{"api": ApiSettings}`)
    whose model lives outside the leaf layer that `Settings` may import."""
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        suffix, models = _models_in(field.annotation)
        if substitutes and path in substitutes:
            suffix, models = "", [substitutes[path]]
        if not models:
            yield SettingDoc(path, _type_name(field.annotation), _default(field), field.description or "")
            continue
        for sub in models:
            label = f"{path}{suffix}"
            yield SettingDoc(label + _discriminator(sub), "table", "",
                             field.description or (sub.__doc__ or "").strip().split("\n\n")[0], table=True)
            yield from walk_settings(sub, f"{label}.", substitutes)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def settings_markdown(model: type[BaseModel], substitutes: Mapping[str, type[BaseModel]] | None = None) -> str:
    """Markdown: one table per top-level table of cxloop.toml (top-level keys first)."""
    top: list[str] = ["## Top-level keys", "", "| key | type | default | description |", "| --- | --- | --- | --- |"]
    sections: list[str] = []
    for doc in walk_settings(model, substitutes=substitutes):
        if doc.table:
            level = "##" if "." not in doc.name.replace(".<name>", "") else "###"
            sections += ["", f"{level} `[{doc.name}]`", "", _cell(doc.description),
                         "", "| key | type | default | description |", "| --- | --- | --- | --- |"]
            continue
        row = f"| `{doc.name}` | `{_cell(doc.type)}` | {f'`{_cell(doc.default)}`' if doc.default else ''} " \
              f"| {_cell(doc.description)} |"
        (top if "." not in doc.name else sections).append(row)
    return "\n".join([*top, *sections, ""])


def undocumented_settings(model: type[BaseModel], substitutes: Mapping[str, type[BaseModel]] | None = None,
                          exempt: frozenset[str] = frozenset()) -> list[str]:
    """TOML paths of the settings without a description (tables are described by their model's docstring)."""
    return sorted({d.name for d in walk_settings(model, substitutes=substitutes)
                   if not d.description.strip() and d.name not in exempt})
