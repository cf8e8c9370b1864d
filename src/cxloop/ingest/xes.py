"""Read IEEE XES event logs (`.xes`, `.xes.gz`) into a flat Arrow table, one row per event, in log order.

XES (IEEE 1849-2016) nests events inside traces; each element carries typed attributes
(`<string key=... value=...>`, `<date>`, `<int>`, `<float>`, `<boolean>`, `<id>`). We stream the file with
`xml.etree.ElementTree.iterparse`, so memory stays proportional to the output table, not to the XML tree,
and flatten it the way pm4py's flat export does:

- event attributes keep their key (`concept:name`, `time:timestamp`, `org:resource`,
  `lifecycle:transition`, ...);
- trace attributes are repeated on each of the trace's events as `case:<key>` (`case:concept:name`);
- every value is kept as the string written in the file (typing and time zones are the ingest's job);
- nested attribute values (`<list>`, `<container>`, children of an attribute) are not flattened.

Log-level attributes, globals, classifiers and extensions describe the log, not events, and are skipped.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, cast

import pyarrow as pa

from cxloop.errors import InputError

__all__ = ["XES_ATTRIBUTE_TAGS", "read_xes"]

XES_ATTRIBUTE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id"})
_GZIP_MAGIC = b"\x1f\x8b"
_XES_NS = "{http://www.xes-standard.org/}"
_FAST_ATTRIBUTE_TAGS = frozenset(XES_ATTRIBUTE_TAGS | {_XES_NS + t for t in XES_ATTRIBUTE_TAGS})
_EVENT_TAGS = frozenset({"event", _XES_NS + "event"})
_TRACE_TAGS = frozenset({"trace", _XES_NS + "trace"})


def _local(tag: str) -> str:
    """`{namespace}name` -> `name` (XES files may or may not declare the XES namespace)."""
    return tag.rsplit("}", 1)[-1]


class _Columns:
    """Column-wise accumulator: a new key gets `None` for the rows before it first appeared."""

    def __init__(self) -> None:
        self.data: dict[str, list[str | None]] = {}
        self.rows = 0

    def add(self, event: dict[str, str], case: dict[str, str]) -> None:
        row = {f"case:{k}": v for k, v in case.items()}
        row.update(event)
        data = self.data
        if row.keys() == data.keys():  # the common case: same attributes as the columns so far
            for key, value in row.items():
                data[key].append(value)
        else:
            for key, value in row.items():
                column = data.get(key)
                if column is None:
                    column = data[key] = [None] * self.rows
                column.append(value)
            for column in data.values():
                if len(column) <= self.rows:
                    column.append(None)
        self.rows += 1

    def table(self) -> pa.Table:
        names = sorted(self.data, key=lambda k: (k != "case:concept:name", k.startswith("case:")))
        return pa.table({k: pa.array(self.data[k], type=pa.string()) for k in names})


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _attributes(elem: ET.Element) -> dict[str, str]:
    """The element's own typed attributes (direct children), key -> value as written."""
    out: dict[str, str] = {}
    for child in elem:
        tag = child.tag
        if tag in _FAST_ATTRIBUTE_TAGS or _local(tag) in XES_ATTRIBUTE_TAGS:
            key, value = child.get("key"), child.get("value")
            if key is not None and value is not None:
                out[key] = value
    return out


def _parse(stream: IO[bytes], path: Path) -> pa.Table:
    columns = _Columns()
    events: list[dict[str, str]] = []  # the current trace's events, emitted when the trace closes
    parser = ET.iterparse(stream, events=("start", "end"))
    _, root = next(parser)
    if _local(root.tag) != "log":
        raise InputError(f"{path}: not an XES log (root element <{_local(root.tag)}>, expected <log>)",
                         file=str(path))
    for kind, elem in parser:
        if kind != "end":
            continue
        tag = elem.tag
        if tag in _EVENT_TAGS or (tag[-5:] == "event" and _local(tag) == "event"):
            events.append(_attributes(elem))
        elif tag in _TRACE_TAGS or (tag[-5:] == "trace" and _local(tag) == "trace"):
            case = _attributes(elem)
            for event in events:
                columns.add(event, case)
            events = []
            root.clear()  # drop the finished trace from the tree: memory stays flat
    return columns.table()


def read_xes(path: Path) -> pa.Table:
    """Parse an XES or gzip-compressed XES file into a table of string columns, one row per event.

    Rows are in log order (trace by trace, events in file order); the row index is the event's
    position in the log. Raises `InputError` for a missing, unreadable or malformed file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found", file=str(path))
    try:
        with _open(path) as stream:
            return _parse(stream, path)
    except StopIteration as exc:
        raise InputError(f"{path}: empty file, not an XES log", file=str(path)) from exc
    except ET.ParseError as exc:
        raise InputError(f"{path}: malformed XES/XML: {exc}", file=str(path)) from exc
    except (OSError, EOFError) as exc:  # e.g. a truncated or corrupt gzip stream
        raise InputError(f"{path}: cannot read XES file: {exc}", file=str(path)) from exc
