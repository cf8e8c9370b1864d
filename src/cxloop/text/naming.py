"""Naming discovered topic candidates with a language model: the prompt and the reading of its answer.

Pure functions; the app layer (`app.llm_service`) sends the messages to an OpenAI-compatible endpoint.
The model sees a candidate's c-TF-IDF keywords and a few of its *redacted* example texts (PII is already
replaced by placeholders by the pipeline) and answers with one JSON object: a short Chinese name, a short
English name and a one-sentence summary in English. The answer is read leniently (the first JSON object in
the reply, code fences allowed) and validated; names are trimmed to what a taxonomy label holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["CandidateName", "NamingError", "naming_messages", "parse_naming"]

SYSTEM = (
    "You name new customer-feedback topics for a customer-experience team of a consumer-electronics "
    "company. Given the keywords and example texts of one cluster of customer messages, reply with ONE "
    'JSON object and nothing else: {"name_zh": "<= 12 Chinese characters", "name_en": "<= 6 English '
    'words", "summary": "one English sentence: what customers report and about what product or service"}. '
    "Name the concrete issue (e.g. 'earbud charging contacts corrode'), not a generic category."
)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class NamingError(ValueError):
    """The model's reply is not a usable name (no JSON object, or fields missing or empty)."""


class CandidateName(BaseModel):
    """A model's proposal for one candidate."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    summary: str = Field(default="")

    @field_validator("name_zh", "name_en")
    @classmethod
    def _short(cls, value: str) -> str:
        return value.replace("\n", " ")[:60]

    @field_validator("summary")
    @classmethod
    def _sentence(cls, value: str) -> str:
        return value.replace("\n", " ")[:400]


def naming_messages(keywords: Sequence[str], examples: Sequence[str], *, max_examples: int = 8,
                    max_chars: int = 200) -> list[dict[str, str]]:
    """Chat messages asking for a candidate's names (examples cut to `max_chars` each)."""
    shown = [e.replace("\n", " ")[:max_chars] for e in list(examples)[:max_examples]]
    user = "Keywords: " + ", ".join(keywords) + "\nExamples:\n" + "\n".join(f"- {e}" for e in shown)
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def parse_naming(reply: str | None) -> CandidateName:
    """Read the model's reply: the first `{...}` in it as JSON, validated."""
    found = _OBJECT.search(reply or "")
    if not found:
        raise NamingError(f"no JSON object in the reply: {(reply or '')[:120]!r}")
    try:
        return CandidateName.model_validate(json.loads(found.group(0)))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise NamingError(f"unusable reply {found.group(0)[:120]!r}: {exc.__class__.__name__}") from exc
