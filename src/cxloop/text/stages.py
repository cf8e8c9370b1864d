"""The standard enrichment stages and the picklable `PipelineSpec` that builds them.

Each stage is an `Enricher` (see `cxloop.text.pipeline`). Models are loaded in `build_context`, once per
process: the sentiment and emotion models shipped with cxloop, the workspace's trained topic classifier
when `WS/models/topic_classifier/` exists, and a question matcher fitted on the workspace FAQ.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.settings.text import PiiSettings, TextSettings
from cxloop.text.faq import FaqEntry, FaqMatcher
from cxloop.text.language import LANGUAGE_VERSION, detect_languages
from cxloop.text.normalize import Normalizer
from cxloop.text.pii import PiiRedactor
from cxloop.text.pipeline import EnrichContext, EnrichFrame
from cxloop.text.segment import Segmenter
from cxloop.text.taxonomy import Taxonomy
from cxloop.text.topics import TOPICS_VERSION, RuleTopicTagger, assign_topics

__all__ = ["BACKENDS", "PiiSettings", "PipelineSpec", "TextSettings", "build_context"]

BACKENDS = ("tfidf", "embeddings", "auto")


class NormalizeStage:
    name = "normalize"

    def __init__(self, normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        self.version = normalizer.version + ("-t2s" if normalizer.traditional_to_simplified else "")

    def apply(self, frame: EnrichFrame) -> None:
        frame.normalized = self.normalizer(frame.texts)


class PiiStage:
    name = "pii"

    def __init__(self, redactor: PiiRedactor) -> None:
        self.redactor = redactor
        config = json.dumps([list(redactor.order_patterns), redactor.redact_addresses])
        self.version = f"{redactor.version}-{hashlib.sha256(config.encode()).hexdigest()[:6]}"

    def apply(self, frame: EnrichFrame) -> None:
        frame.redacted = self.redactor(frame.normalized)


class LanguageStage:
    name = "language"
    version = LANGUAGE_VERSION

    def apply(self, frame: EnrichFrame) -> None:
        frame.languages = detect_languages(frame.normalized)


class SegmentStage:
    name = "segment"

    def __init__(self, segmenter: Segmenter) -> None:
        self.segmenter = segmenter
        self.version = segmenter.version

    def apply(self, frame: EnrichFrame) -> None:
        frame.tokens = self.segmenter(frame.redacted or frame.normalized, frame.languages)


def _non_empty(frame: EnrichFrame) -> tuple[list[int], list[str], list[str]]:
    langs = frame.languages or ["zh"] * len(frame)
    idx = [i for i, t in enumerate(frame.normalized) if t.strip()]
    return idx, [frame.normalized[i] for i in idx], [langs[i] for i in idx]


class SentimentStage:
    """neg/neu/pos and a score in [-1, 1]; empty texts are neutral at 0 without asking the model."""

    name = "sentiment"

    def __init__(self, model: Any) -> None:
        self.model = model
        self.version = f"sent-{model.version}"

    def apply(self, frame: EnrichFrame) -> None:
        labels = ["neu"] * len(frame)
        scores = np.zeros(len(frame), dtype=np.float64)
        idx, texts, langs = _non_empty(frame)
        if idx:
            got_labels, got_scores = self.model.predict(texts, langs)
            for j, i in enumerate(idx):
                labels[i] = str(got_labels[j])
            scores[idx] = np.clip(np.asarray(got_scores, dtype=np.float64), -1.0, 1.0)
        frame.sentiment, frame.sentiment_score = labels, scores


class EmotionStage:
    name = "emotion"

    def __init__(self, model: Any) -> None:
        self.model = model
        self.version = f"emo-{model.version}"

    def apply(self, frame: EnrichFrame) -> None:
        out = ["neutral"] * len(frame)
        idx, texts, langs = _non_empty(frame)
        if idx:
            for j, label in zip(idx, self.model.predict(texts, langs), strict=True):
                out[j] = str(label)
        frame.emotion = out


class TopicStage:
    """Rule topics (+ the trained classifier when present) with aspect-level sentiment."""

    name = "topics"

    def __init__(self, taxonomy: Taxonomy, sentiment: Any | None, classifier: Any | None,
                 min_classifier_confidence: float = 0.5) -> None:
        self.tagger = RuleTopicTagger(taxonomy)
        self.sentiment = sentiment
        self.classifier = classifier
        self.threshold = min_classifier_confidence
        self.version = f"{TOPICS_VERSION}-{taxonomy.fingerprint()}"
        if classifier is not None:
            self.version += f"-clf-{getattr(classifier, 'version', 'x')}"

    def apply(self, frame: EnrichFrame) -> None:
        n = len(frame)
        frame.topics = assign_topics(
            frame.normalized,
            frame.languages or ["zh"] * n,
            frame.sentiment or ["neu"] * n,
            frame.sentiment_score if frame.sentiment_score is not None else np.zeros(n),
            tagger=self.tagger,
            sentiment_model=self.sentiment,
            classifier=self.classifier,
            min_classifier_confidence=self.threshold,
        )


class FaqStage:
    name = "faq"

    def __init__(self, matcher: FaqMatcher) -> None:
        self.matcher = matcher
        self.version = matcher.version

    def apply(self, frame: EnrichFrame) -> None:
        frame.faq = self.matcher.match(frame.normalized)


@dataclass(frozen=True)
class PipelineSpec:
    """Everything a worker needs to rebuild the pipeline: plain, picklable data."""

    taxonomy: tuple[dict[str, Any], ...]
    settings: dict[str, Any] = field(default_factory=dict)  # TextSettings as a dict
    user_dict: str | None = None
    topic_classifier_dir: str | None = None
    faq: tuple[dict[str, Any], ...] = ()
    backend: str = "auto"


def make_matcher(backend: str) -> Any:
    """A fresh `QuestionMatcher` with the feature backend when it takes one."""
    from cxloop.text.matcher import QuestionMatcher

    params = inspect.signature(QuestionMatcher).parameters
    return QuestionMatcher(backend=backend) if "backend" in params else QuestionMatcher()


def _load_classifier(path: str | None) -> Any | None:
    if not path or not Path(path).is_dir():
        return None
    from cxloop.text.classifier import TextClassifier

    return TextClassifier.load(Path(path))


def build_context(
    spec: PipelineSpec,
    *,
    sentiment_model: Any | None = None,
    emotion_model: Any | None = None,
    matcher: Any | None = None,
    classifier: Any | None = None,
) -> EnrichContext:
    """The standard stages for `spec`; models not passed in are loaded from cxloop's shipped files."""
    settings = TextSettings.model_validate(spec.settings)
    if sentiment_model is None:
        from cxloop.text.sentiment import load_sentiment_model

        sentiment_model = load_sentiment_model()
    if emotion_model is None:
        from cxloop.text.emotion import load_emotion_model

        emotion_model = load_emotion_model()
    classifier = classifier if classifier is not None else _load_classifier(spec.topic_classifier_dir)
    taxonomy = Taxonomy.from_rows(list(spec.taxonomy))
    stages: list[Any] = [
        NormalizeStage(Normalizer(traditional_to_simplified=settings.traditional_to_simplified)),
        PiiStage(PiiRedactor(settings.pii.order_patterns, redact_addresses=settings.pii.redact_addresses)),
        LanguageStage(),
        SegmentStage(Segmenter(Path(spec.user_dict) if spec.user_dict else None)),
        SentimentStage(sentiment_model),
        EmotionStage(emotion_model),
        TopicStage(taxonomy, sentiment_model, classifier, settings.min_classifier_confidence),
    ]
    if spec.faq:
        entries = [FaqEntry(**{**e, "variants": tuple(e.get("variants") or ())}) for e in spec.faq]
        chosen = matcher if matcher is not None else make_matcher(spec.backend)
        stages.append(FaqStage(FaqMatcher(entries, chosen)))
    return EnrichContext(stages)

