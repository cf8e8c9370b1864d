"""Standard-question (FAQ) matching: retrieve by TF-IDF cosine, re-rank with a trained pair classifier.

`QuestionMatcher.fit` indexes each FAQ's question and variants; `top_k` takes the `candidates` nearest
variants per text by cosine of hashed char 1-3-gram TF-IDF, scores each (text, variant) pair with the
shipped pair classifier (gradient-boosted trees, scikit-learn's HistGradientBoosting, over the
`pair_features`: overlaps, edit similarity, lengths, function-word agreement), keeps the best variant per
FAQ and returns the k best FAQs with P(same question). `no_match_threshold` is the probability cut
calibrated on out-of-fold predictions of the training pairs (balanced accuracy), so a top-1 below it means
"no match". `pair_scores` scores aligned pairs (the evaluation contract).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from cxloop.errors import InputError, UsageError
from cxloop.text.pair_features import pair_features, segment_words

__all__ = ["MATCHER_FILE", "PairModel", "QuestionMatcher", "load_pair_model"]

MODELS_DIR = Path(__file__).resolve().parent / "models"
MATCHER_FILE = "matcher_zh.joblib"


class PairModel:
    """The shipped pair classifier: a hashed TF-IDF view, the tree model and the calibrated threshold."""

    def __init__(self, tfidf: Any, classifier: Any, threshold: float, version: str) -> None:
        self.tfidf = tfidf
        self.classifier = classifier
        self.threshold = threshold
        self.version = version

    def scores(
        self,
        texts_a: Sequence[str],
        texts_b: Sequence[str],
        words_a: Sequence[str] | None = None,
        words_b: Sequence[str] | None = None,
    ) -> np.ndarray:
        feats = pair_features(texts_a, texts_b, self.tfidf, words_a, words_b)
        if feats.shape[0] == 0:
            return np.zeros(0)
        return np.asarray(self.classifier.predict_proba(feats)[:, 1], dtype=np.float64)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"tfidf": self.tfidf, "classifier": self.classifier, "threshold": self.threshold,
                 "version": self.version}
        joblib.dump(state, path, compress=3)

    @classmethod
    def load(cls, path: Path) -> PairModel:
        if not path.is_file():
            raise InputError(f"matcher model {path.name} is missing; run 'cxloop train matcher'", file=str(path))
        state = joblib.load(path)
        return cls(state["tfidf"], state["classifier"], float(state["threshold"]), str(state["version"]))


@functools.cache
def load_pair_model() -> PairModel:
    """The shipped pair model (cached per process)."""
    return PairModel.load(MODELS_DIR / MATCHER_FILE)


class QuestionMatcher:
    """Top-k standard questions for texts with a calibrated no-match threshold."""

    def __init__(self, backend: str = "auto", candidates: int = 5, model: PairModel | None = None) -> None:
        if backend not in ("tfidf", "embeddings", "auto"):
            raise UsageError(f"backend {backend!r} is not one of tfidf, embeddings, auto")
        self.backend = backend  # the shipped pair model is lexical; embeddings add nothing for zh here
        self.candidates = candidates
        self.model = model or load_pair_model()
        self.no_match_threshold = self.model.threshold
        self.version = f"pair-{self.model.version}"
        self._ids: np.ndarray = np.array([], dtype=object)
        self._questions: list[str] = []
        self._words: list[str] = []
        self._matrix: Any = None

    def fit(self, items: Sequence[tuple[str, Sequence[str]]]) -> QuestionMatcher:
        """Index (faq_id, [question, variant, ...]) items."""
        ids: list[str] = []
        questions: list[str] = []
        for faq_id, texts in items:
            for text in texts:
                if str(text).strip():
                    ids.append(str(faq_id))
                    questions.append(str(text))
        if not questions:
            raise InputError("the matcher needs at least one non-empty question")
        self._ids = np.asarray(ids, dtype=object)
        self._questions = questions
        self._words = segment_words(questions)
        self._matrix = self.model.tfidf.transform(questions).T.tocsc()
        return self

    def pair_scores(self, texts_a: Sequence[str], texts_b: Sequence[str]) -> np.ndarray:
        """P(same question) for aligned pairs."""
        return self.model.scores(list(texts_a), list(texts_b))

    def top_k(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        """The k best FAQ ids per text with P(same question), best first (variants of one FAQ merged)."""
        if self._matrix is None:
            raise UsageError("the matcher has no questions; call fit first")
        texts = list(texts)
        if not texts:
            return []
        sims = np.asarray((self.model.tfidf.transform(texts) @ self._matrix).todense())
        m = min(self.candidates, sims.shape[1])
        cand = np.argpartition(-sims, m - 1, axis=1)[:, :m] if m < sims.shape[1] else np.tile(
            np.arange(sims.shape[1]), (len(texts), 1))
        rows = np.repeat(np.arange(len(texts)), cand.shape[1])
        cols = cand.ravel()
        words = segment_words(texts)
        probs = self.model.scores(
            [texts[i] for i in rows], [self._questions[j] for j in cols],
            [words[i] for i in rows], [self._words[j] for j in cols],
        )
        return _best_per_faq(rows, self._ids[cols], probs, len(texts), k)


def _best_per_faq(
    rows: np.ndarray, ids: np.ndarray, probs: np.ndarray, n: int, k: int
) -> list[list[tuple[str, float]]]:
    """Per text: max probability per FAQ id, sorted descending, first k."""
    order = np.lexsort((-probs, rows))
    out: list[list[tuple[str, float]]] = [[] for _ in range(n)]
    for idx in order:
        ranked = out[int(rows[idx])]
        fid = str(ids[idx])
        if len(ranked) < k and all(fid != f for f, _ in ranked):
            ranked.append((fid, round(float(probs[idx]), 6)))
    return out
