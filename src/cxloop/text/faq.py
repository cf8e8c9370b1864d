"""Standard questions (FAQ): read them from CSV/JSONL and match texts to them.

A standard question has an id, the question, variant phrasings, an answer and a product. Matching is the
`QuestionMatcher` of `cxloop.text.matcher` fitted on question + variants; a text's top-1 match is kept only
when its score clears the matcher's calibrated `no_match_threshold`, else the text has no match.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxloop.errors import InputError

__all__ = ["FaqEntry", "FaqMatch", "FaqMatcher", "read_faq_file"]

_ID_KEYS = ("faq_id", "id")


@dataclass(frozen=True)
class FaqEntry:
    faq_id: str
    question: str
    variants: tuple[str, ...] = ()
    answer: str | None = None
    product: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"faq_id": self.faq_id, "question": self.question, "variants": list(self.variants),
                "answer": self.answer, "product": self.product}


@dataclass(frozen=True)
class FaqMatch:
    faq_id: str | None
    score: float | None
    candidates: list[tuple[str, float]] = field(default_factory=list)


def _entry(item: dict[str, Any], path: Path, row: int) -> FaqEntry:
    faq_id = next((str(item[k]).strip() for k in _ID_KEYS if item.get(k) not in (None, "")), "")
    question = str(item.get("question") or "").strip()
    if not faq_id or not question:
        missing = "faq_id" if not faq_id else "question"
        raise InputError(f"{path.name} row {row}: {missing} is empty; columns are faq_id (or id), question, "
                         "variants, answer, product", file=str(path), row=row, field=missing)
    variants = item.get("variants") or []
    if isinstance(variants, str):
        text = variants.strip()
        variants = json.loads(text) if text.startswith("[") else text.split("|")
    return FaqEntry(
        faq_id=faq_id,
        question=question,
        variants=tuple(str(v).strip() for v in variants if str(v).strip()),
        answer=(str(item["answer"]) if item.get("answer") not in (None, "") else None),
        product=(str(item["product"]) if item.get("product") not in (None, "") else None),
    )


def read_faq_file(path: Path) -> list[FaqEntry]:
    """FAQ entries from .csv/.tsv (variants '|'-separated or a JSON list) or .jsonl/.json."""
    if not path.is_file():
        raise InputError(f"FAQ file {path} not found", file=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            with path.open(encoding="utf-8-sig", newline="") as handle:
                items = list(csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ","))
        elif suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            items = [json.loads(line) for line in lines if line.strip()]
        elif suffix == ".json":
            items = json.loads(path.read_text(encoding="utf-8"))
        else:
            raise InputError(f"{path}: FAQ files are .csv, .tsv, .jsonl or .json", file=str(path))
    except (json.JSONDecodeError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot parse: {exc}", file=str(path)) from exc
    entries = [_entry(item, path, i) for i, item in enumerate(items, start=1)]
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        if entry.faq_id in seen:
            raise InputError(f"{path.name} row {i}: faq_id {entry.faq_id!r} appears twice", file=str(path),
                             row=i, field="faq_id")
        seen.add(entry.faq_id)
    return entries


class FaqMatcher:
    """Top-k standard questions for texts, with the calibrated no-match cut on the top-1."""

    def __init__(self, entries: Sequence[FaqEntry], matcher: Any) -> None:
        if not entries:
            raise InputError("the FAQ is empty; import standard questions with 'cxloop faq import FILE'")
        self.entries = {e.faq_id: e for e in entries}
        self.matcher = matcher
        matcher.fit([(e.faq_id, [e.question, *e.variants]) for e in entries])
        self.threshold = float(getattr(matcher, "no_match_threshold", 0.0))
        self.version = f"faq-{getattr(matcher, 'version', 'm')}-{len(entries)}"

    def match(self, texts: Sequence[str], k: int = 1) -> list[FaqMatch]:
        ranked = self.matcher.top_k(list(texts), k)
        out = []
        for candidates in ranked:
            pairs = [(str(fid), float(score)) for fid, score in candidates]
            if pairs and pairs[0][1] >= self.threshold:
                out.append(FaqMatch(pairs[0][0], round(pairs[0][1], 4), pairs))
            else:
                out.append(FaqMatch(None, None, pairs))
        return out
