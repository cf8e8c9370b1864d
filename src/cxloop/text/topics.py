"""Topic tagging: keyword/regex rules over the taxonomy, an optional trained classifier, and aspect-level
sentiment.

Rules: every keyword of every topic goes into one Aho-Corasick automaton (Aho & Corasick 1975, via
`pyahocorasick`), so a text is scanned once whatever the number of keywords; ASCII keywords must sit on
word boundaries ("hot" does not fire inside "photo"). Topics with a `pattern` add one regex each. A rule
topic's confidence grows with its distinct hits: 1 - 0.5^(hits+1) (0.75, 0.875, ...).

Aspects: a text is split into clauses at punctuation and contrast words (但是/不过/可是/然而/but/however…);
each clause holding a topic hit is scored by the sentiment model, and the topic takes that clause's
sentiment, so "屏幕很好，但是电池不行" is positive on the screen and negative on the battery.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import ahocorasick
import numpy as np

from cxloop.text.taxonomy import Taxonomy

__all__ = [
    "TOPICS_VERSION",
    "RuleTopicTagger",
    "TopicAssignment",
    "assign_topics",
    "clause_spans",
]

TOPICS_VERSION = "topics1"

_CLAUSE_BREAK = re.compile(
    r"[,.!?;，。！？；、\n~～…]+|\s+(?=(?:but|however|although|though|yet)\b)"
    r"|(?=但是|不过|可是|然而|只是|但)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]")


def clause_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the non-empty clauses of `text`, split at punctuation and before contrast words."""
    spans, start = [], 0
    for match in _CLAUSE_BREAK.finditer(text):
        if match.start() > start and text[start : match.start()].strip():
            spans.append((start, match.start()))
        start = max(start, match.end())
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text)))
    return spans


class SentimentScorer(Protocol):
    def predict(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> tuple[Any, Any]: ...


class TopicPredictor(Protocol):
    version: str

    def predict(self, texts: Sequence[str]) -> tuple[Any, Any]: ...


class RuleTopicTagger:
    """Keyword (Aho-Corasick) and regex matches of taxonomy topics, with positions."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, bool]]] = {}
        for topic in taxonomy.topics:
            for keyword in topic.keywords:
                key = keyword.lower()
                entries.setdefault(key, []).append((topic.topic_id, key.isascii()))
        for key, value in entries.items():
            self._automaton.add_word(key, (len(key), value))
        self._empty = not entries
        if not self._empty:
            self._automaton.make_automaton()
        self._patterns = [
            (t.topic_id, re.compile(t.pattern, re.IGNORECASE)) for t in taxonomy.topics if t.pattern
        ]

    def hits(self, text: str) -> dict[str, list[int]]:
        """topic_id -> start offsets of its distinct keyword/regex hits in `text` (lower-cased)."""
        found: dict[str, list[int]] = {}
        if not text:
            return found
        lowered = text.lower()
        if not self._empty:
            for end, (length, targets) in self._automaton.iter(lowered):
                start = end - length + 1
                for topic_id, ascii_word in targets:
                    if ascii_word and not _on_word_boundary(lowered, start, end):
                        continue
                    found.setdefault(topic_id, []).append(start)
        for topic_id, regex in self._patterns:
            for match in regex.finditer(text):
                found.setdefault(topic_id, []).append(match.start())
        return found


def _on_word_boundary(text: str, start: int, end: int) -> bool:
    before = start == 0 or not _WORD.match(text[start - 1])
    after = end + 1 >= len(text) or not _WORD.match(text[end + 1])
    return before and after


@dataclass
class TopicAssignment:
    """Topics of one text: the primary one and all, with confidence, method and sentiment."""

    topic_id: str | None = None
    confidence: float | None = None
    topics: list[dict[str, Any]] = field(default_factory=list)
    aspects: list[dict[str, Any]] = field(default_factory=list)


def _rule_confidence(hits: int) -> float:
    return round(1.0 - 0.5 ** (hits + 1), 4)


def assign_topics(
    texts: Sequence[str],
    languages: Sequence[str],
    sentiment_labels: Sequence[str],
    sentiment_scores: Sequence[float] | np.ndarray,
    *,
    tagger: RuleTopicTagger,
    sentiment_model: SentimentScorer | None = None,
    classifier: TopicPredictor | None = None,
    min_classifier_confidence: float = 0.5,
) -> list[TopicAssignment]:
    """Topics and aspect sentiment of a batch (see the module docstring)."""
    hits = [tagger.hits(t) for t in texts]
    predicted: list[tuple[str, float] | None] = [None] * len(texts)
    if classifier is not None:
        predicted = _classifier_topics(texts, classifier, tagger.taxonomy, min_classifier_confidence)
    out = []
    clause_jobs: list[tuple[int, str, str, int, int]] = []  # (row, topic, lang, start, end)
    for row, (text, found) in enumerate(zip(texts, hits, strict=True)):
        spans = clause_spans(text) if found else []
        for topic_id, positions in found.items():
            if len(spans) < 2:
                continue
            for start, end in spans:
                if any(start <= p < end for p in positions):
                    clause_jobs.append((row, topic_id, languages[row], start, end))
        out.append(_assignment(found, predicted[row], sentiment_labels[row], float(sentiment_scores[row])))
    if clause_jobs and sentiment_model is not None:
        _score_clauses(texts, out, clause_jobs, sentiment_model)
    return out


def _classifier_topics(
    texts: Sequence[str], classifier: TopicPredictor, taxonomy: Taxonomy, threshold: float
) -> list[tuple[str, float] | None]:
    """The classifier's (topic_id, confidence) per text where it names a taxonomy topic confidently."""
    labels, confidences = classifier.predict(list(texts))
    out: list[tuple[str, float] | None] = []
    for label, conf in zip(labels, np.asarray(confidences, dtype=float), strict=True):
        topic_id = taxonomy.resolve(str(label)) if label is not None else None
        out.append((topic_id, round(float(conf), 4)) if topic_id and conf >= threshold else None)
    return out


def _assignment(
    found: dict[str, list[int]], predicted: tuple[str, float] | None, label: str, score: float
) -> TopicAssignment:
    scored: dict[str, tuple[float, str, int]] = {}  # topic -> (confidence, method, first position)
    for topic_id, positions in found.items():
        scored[topic_id] = (_rule_confidence(len(set(positions))), "rule", min(positions))
    if predicted is not None:
        topic_id, conf = predicted
        if topic_id in scored:
            rule_conf, _, first = scored[topic_id]
            scored[topic_id] = (max(rule_conf, conf), "rule+classifier", first)
        else:
            scored[topic_id] = (conf, "classifier", 10**9)
    if not scored:
        return TopicAssignment()
    order = sorted(scored.items(), key=lambda item: (-item[1][0], item[1][2]))
    topics = [
        {"topic_id": topic_id, "confidence": conf, "method": method, "sentiment": label,
         "score": round(score, 4)}
        for topic_id, (conf, method, _) in order
    ]
    return TopicAssignment(order[0][0], order[0][1][0], topics)


def _score_clauses(
    texts: Sequence[str],
    out: list[TopicAssignment],
    jobs: list[tuple[int, str, str, int, int]],
    model: SentimentScorer,
) -> None:
    """Score each (clause) once, then give every topic the mean score of its clauses."""
    keys = sorted({(row, lang, start, end) for row, _, lang, start, end in jobs})
    index = {k: i for i, k in enumerate(keys)}
    clauses = [texts[row][start:end].strip() for row, _, start, end in keys]
    labels, scores = model.predict(clauses, [lang for _, lang, _, _ in keys])
    per_topic: dict[tuple[int, str], list[int]] = {}
    for row, topic_id, lang, start, end in jobs:
        per_topic.setdefault((row, topic_id), []).append(index[(row, lang, start, end)])
    for (row, topic_id), idx in per_topic.items():
        mean = float(np.mean([scores[i] for i in idx]))
        label = _label_of(mean, [str(labels[i]) for i in idx])
        for topic in out[row].topics:
            if topic["topic_id"] == topic_id:
                topic["sentiment"], topic["score"] = label, round(mean, 4)
        out[row].aspects.extend(
            {"aspect": topic_id, "sentiment": str(labels[i]), "score": round(float(scores[i]), 4),
             "span": clauses[i]}
            for i in idx
        )


def _label_of(mean: float, labels: list[str]) -> str:
    if len(set(labels)) == 1:
        return labels[0]
    return "pos" if mean > 0.2 else "neg" if mean < -0.2 else "neu"
