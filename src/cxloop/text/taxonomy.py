"""The topic taxonomy: a bilingual two-level tree of topics, each owned by a department.

A topic has an id, a parent, names in Chinese and English, keywords and/or a regex, an owner department
and example texts. The shipped default (`data/default_taxonomy.json`) covers consumer electronics products
and service; a workspace adds or overrides topics in `taxonomy.toml` or by `cxloop topics import` (TOML,
JSON or CSV). Topics accepted from discovery carry origin "discovered".
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cxloop.errors import InputError

__all__ = ["ORIGINS", "Taxonomy", "Topic", "load_default_taxonomy", "read_taxonomy_file"]

ORIGINS = ("default", "workspace", "discovered")
_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class Topic:
    """One node of the taxonomy."""

    topic_id: str
    name_zh: str
    name_en: str
    parent_id: str | None = None
    keywords: tuple[str, ...] = ()
    pattern: str | None = None
    owner_department: str | None = None
    examples: tuple[str, ...] = ()
    origin: str = "default"

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, origin: str | None = None, where: str = "") -> Topic:
        """Build from a mapping (JSON/TOML/CSV/DB row); lists may be given as '|'-separated strings."""
        missing = [k for k in ("topic_id", "name_zh", "name_en") if not data.get(k)]
        if missing:
            raise InputError(f"{where}topic is missing {', '.join(missing)}", field=missing[0])
        topic_id = str(data["topic_id"]).strip()
        if not _ID.match(topic_id):
            raise InputError(f"{where}topic id {topic_id!r} may hold only letters, digits, '_', '.', '-'",
                             field="topic_id")
        pattern = data.get("pattern") or None
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InputError(f"{where}topic {topic_id}: pattern {pattern!r} is invalid: {exc}",
                                 field="pattern") from exc
        return cls(
            topic_id=topic_id,
            name_zh=str(data["name_zh"]).strip(),
            name_en=str(data["name_en"]).strip(),
            parent_id=(str(data["parent_id"]).strip() or None) if data.get("parent_id") else None,
            keywords=_as_tuple(data.get("keywords")),
            pattern=pattern,
            owner_department=data.get("owner_department") or None,
            examples=_as_tuple(data.get("examples")),
            origin=origin or data.get("origin") or "workspace",
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["keywords"], out["examples"] = list(self.keywords), list(self.examples)
        return out


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split("|")
    return tuple(str(v).strip() for v in value if str(v).strip())


@dataclass
class Taxonomy:
    """An ordered set of topics with a consistent parent relation."""

    topics: list[Topic] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_id = {t.topic_id: t for t in self.topics}
        if len(self._by_id) != len(self.topics):
            counts = Counter(t.topic_id for t in self.topics)
            dup = next(topic_id for topic_id, n in counts.items() if n > 1)
            raise InputError(f"taxonomy has topic {dup!r} twice", field="topic_id")
        for topic in self.topics:
            if topic.parent_id and topic.parent_id not in self._by_id:
                raise InputError(
                    f"topic {topic.topic_id!r} has parent {topic.parent_id!r}, which is not in the taxonomy",
                    field="parent_id",
                )

    def __len__(self) -> int:
        return len(self.topics)

    def __contains__(self, topic_id: object) -> bool:
        return topic_id in self._by_id

    def get(self, topic_id: str) -> Topic | None:
        return self._by_id.get(topic_id)

    def resolve(self, label: str) -> str | None:
        """A topic id from an id or a Chinese/English name (classifier labels may be either)."""
        if label in self._by_id:
            return label
        lowered = label.strip().lower()
        for topic in self.topics:
            if lowered in (topic.name_zh.lower(), topic.name_en.lower()):
                return topic.topic_id
        return None

    def merged(self, others: Iterable[Topic]) -> Taxonomy:
        """This taxonomy with `others` added; a topic with an existing id replaces it."""
        by_id = dict(self._by_id)
        for topic in others:
            by_id[topic.topic_id] = topic
        return Taxonomy(list(by_id.values()))

    def fingerprint(self) -> str:
        """Short content hash: a changed taxonomy changes the topics step's version."""
        blob = json.dumps([t.to_dict() for t in self.topics], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:8]

    def rows(self) -> list[dict[str, Any]]:
        return [t.to_dict() for t in self.topics]

    @classmethod
    def from_rows(cls, rows: Sequence[dict[str, Any]]) -> Taxonomy:
        return cls([Topic.from_dict(r, origin=r.get("origin") or "workspace") for r in rows])


def load_default_taxonomy() -> Taxonomy:
    """The shipped consumer-electronics taxonomy."""
    text = (resources.files("cxloop.text") / "data" / "default_taxonomy.json").read_text(encoding="utf-8")
    return Taxonomy([Topic.from_dict(t, origin="default") for t in json.loads(text)["topics"]])


def read_taxonomy_file(path: Path, *, origin: str = "workspace") -> list[Topic]:
    """Topics from a TOML (`[[topics]]`), JSON (list or {"topics": [...]}) or CSV file."""
    if not path.is_file():
        raise InputError(f"taxonomy file {path} not found", file=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            items = tomllib.loads(path.read_text(encoding="utf-8")).get("topics", [])
        elif suffix in (".json", ".jsonl"):
            items = _read_json(path)
        elif suffix in (".csv", ".tsv"):
            with path.open(encoding="utf-8-sig", newline="") as handle:
                items = list(csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ","))
        else:
            raise InputError(f"{path}: taxonomy files are .toml, .json, .jsonl or .csv", file=str(path))
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot parse: {exc}", file=str(path)) from exc
    topics = []
    for i, item in enumerate(items, start=1):
        try:
            topics.append(Topic.from_dict(item, origin=origin, where=f"{path.name} item {i}: "))
        except InputError as exc:
            raise InputError(exc.message, file=str(path), row=i, field=exc.field) from exc
    return topics


def _read_json(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    return list(data["topics"] if isinstance(data, dict) else data)
