"""Sentiment (neg / neu / pos and a score in [-1, 1]) for Chinese and English, from shipped linear models.

Method: logistic regression over hashed, sublinear TF-IDF n-grams (`features.LinearTextModel`).
- zh: character 1-3-grams, trained on ChnSentiCorp train (9,600 reviews) plus the 7 product categories of
  online_shopping_10_cats that do not overlap ChnSentiCorp, down-weighted to 0.1 (chosen by 5-fold CV on
  ChnSentiCorp train: in-domain data matters more than volume).
- en: word 1-2-grams + character 2-4-grams, trained on Amazon Alexa reviews (1-2 stars neg, 4-5 stars pos).
The score is 2·P(pos) − 1; |score| below the model's neutral band (default 0.25) is `neu`. Texts whose
language is 'en' use the English model; zh, mixed and other use the Chinese one. `cxloop train sentiment`
reproduces the files in `text/models/`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cxloop.errors import InputError
from cxloop.text.features import LinearTextModel, detect_languages

__all__ = ["MODELS_DIR", "SentimentModel", "load_sentiment_model"]

MODELS_DIR = Path(__file__).resolve().parent / "models"
ZH_FILE = "sentiment_zh.npz"
EN_FILE = "sentiment_en.npz"


class SentimentModel:
    """Polarity for zh and en texts; `predict` returns (labels neg|neu|pos, scores in [-1, 1])."""

    def __init__(self, zh: LinearTextModel, en: LinearTextModel, neutral_band: float = 0.25) -> None:
        self.zh = zh
        self.en = en
        self.neutral_band = neutral_band
        self.version = f"zh:{zh.version}+en:{en.version}"

    @classmethod
    def from_dir(cls, directory: Path) -> SentimentModel:
        for name in (ZH_FILE, EN_FILE):
            if not (directory / name).is_file():
                raise InputError(
                    f"sentiment model file {name} is missing in {directory}; run 'cxloop train sentiment'",
                    file=str(directory / name),
                )
        zh = LinearTextModel.load(directory / ZH_FILE)
        en = LinearTextModel.load(directory / EN_FILE)
        return cls(zh, en, float(zh.meta.get("neutral_band", 0.25)))

    def scores(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> np.ndarray:
        """2·P(pos) − 1 per text, each language group scored by its own model in one vectorised call."""
        texts = list(texts)
        languages = np.asarray(langs if langs is not None else detect_languages(texts), dtype=object)
        if len(languages) != len(texts):
            raise ValueError("langs must have one entry per text")
        out = np.zeros(len(texts), dtype=np.float64)
        en_mask = languages == "en"
        for model, mask in ((self.en, en_mask), (self.zh, ~en_mask)):
            idx = np.flatnonzero(mask)
            if idx.size:
                proba = model.proba([texts[i] for i in idx])
                pos = int(np.flatnonzero(model.classes == "pos")[0])
                out[idx] = 2.0 * proba[:, pos] - 1.0
        return out

    def predict(
        self, texts: Sequence[str], langs: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Labels (object array of 'neg'|'neu'|'pos') and scores in [-1, 1]."""
        scores = self.scores(texts, langs)
        labels = np.full(len(scores), "neu", dtype=object)
        labels[scores >= self.neutral_band] = "pos"
        labels[scores <= -self.neutral_band] = "neg"
        return labels, scores


@functools.cache
def load_sentiment_model() -> SentimentModel:
    """The shipped model (cached per process)."""
    return SentimentModel.from_dir(MODELS_DIR)
