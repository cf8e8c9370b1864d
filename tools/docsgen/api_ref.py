"""The REST API reference: every path and method of the app's OpenAPI document, with its parameters."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI document of `cxloop serve` (no workspace needed to describe it)."""
    from cxloop.api.server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        schema: dict[str, Any] = create_app(Path(tmp) / "no-workspace").openapi()
    return schema


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) in path order."""
    return [(m.upper(), path, item[m]) for path, item in sorted(schema["paths"].items()) for m in _METHODS
            if m in item]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _schema_type(spec: dict[str, Any]) -> str:
    if "anyOf" in spec:
        return " or ".join(_schema_type(s) for s in spec["anyOf"])
    if spec.get("type") == "array":
        return f"array of {_schema_type(spec.get('items', {}))}"
    return str(spec.get("type") or spec.get("$ref", "").rsplit("/", 1)[-1] or "any")


def api_markdown(schema: dict[str, Any]) -> str:
    """Markdown grouped by tag: one section per operation with its parameters."""
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for method, path, op in operations(schema):
        by_tag.setdefault((op.get("tags") or ["other"])[0], []).append((method, path, op))
    out = [f"OpenAPI {schema.get('openapi', '')}, API version {schema['info']['version']}. "
           f"{len(operations(schema))} operations.", ""]
    for tag in sorted(by_tag):
        out += [f"## {tag}", ""]
        for method, path, op in by_tag[tag]:
            out += [f"### `{method} {path}`", "", _cell(op.get("summary", "")), ""]
            if op.get("description"):
                out += [op["description"].strip(), ""]
            params = op.get("parameters", [])
            if params:
                out += ["| parameter | in | type | description |", "| --- | --- | --- | --- |"]
                out += [f"| `{p['name']}`{' (required)' if p.get('required') else ''} | {p['in']} | "
                        f"{_cell(_schema_type(p.get('schema', {})))} | {_cell(p.get('description', ''))} |"
                        for p in params]
                out.append("")
            if "requestBody" in op:
                kinds = ", ".join(f"`{k}`" for k in op["requestBody"].get("content", {}))
                out += [f"Request body: {kinds}.", ""]
    return "\n".join(out)


def undocumented_operations(schema: dict[str, Any]) -> list[str]:
    """'METHOD PATH' of the operations without a summary."""
    return [f"{m} {p}" for m, p, op in operations(schema) if not str(op.get("summary", "")).strip()]
