"""Stand-in sentiment and emotion models for the text pipeline tests (the shipped ones are tested by
their own suite): a tiny lexicon, deterministic and fast."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

NEGATIVE = ("差", "不行", "太慢", "坏", "失望", "bad", "drains", "terrible", "slow")
POSITIVE = ("好", "满意", "不错", "great", "love", "good")


class LexiconSentiment:
    version = "lex-test"

    def predict(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        scores = np.array([
            -0.8 if any(w in t.lower() for w in NEGATIVE) else 0.7 if any(w in t.lower() for w in POSITIVE)
            else 0.0
            for t in texts
        ])
        labels = np.where(scores > 0.2, "pos", np.where(scores < -0.2, "neg", "neu"))
        return labels, scores


class LexiconEmotion:
    version = "lex-test"

    def predict(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> np.ndarray:
        labels, _ = LexiconSentiment().predict(texts, langs)
        return np.array([{"neg": "anger", "pos": "joy"}.get(str(x), "neutral") for x in labels])


@pytest.fixture
def models() -> dict[str, object]:
    return {"sentiment_model": LexiconSentiment(), "emotion_model": LexiconEmotion()}
