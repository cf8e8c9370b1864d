"""Trainable topic / intent classifier with a calibrated out-of-scope ("none") decision.

Features (`backend`): 'tfidf' = sublinear TF-IDF word 1-2-grams + char_wb 2-5-grams (always available);
'embeddings' = those plus all-MiniLM-L6-v2 sentence embeddings (Reimers & Gurevych 2019) from the
optional extra `cxloop[embeddings]`; 'auto' = embeddings when the extra is importable, else tfidf.
Model: a linear SVM (Crammer-Singer-free one-vs-rest `LinearSVC`) whose decision scores are turned into
probabilities by a softmax with a temperature fitted on out-of-fold scores (temperature scaling, Guo et al.
2017), so `confidences` are calibrated.

Out of scope: when trained with `oos_label`, the rows with that label form one more class, and a text is
answered "none" when that class wins or the best in-scope probability is below a threshold. The
threshold is chosen on 3-fold out-of-fold probabilities of the training rows to maximise in-scope accuracy
+ out-of-scope recall (the two figures the evaluation contract reports), so the test data never tunes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from cxloop.errors import InputError, UsageError
from cxloop.text.embeddings import SentenceEncoder, embeddings_available

__all__ = ["NONE_LABEL", "TextClassifier"]

NONE_LABEL = "none"
MODEL_FILE = "classifier.joblib"
BACKENDS = ("tfidf", "embeddings", "auto")
SEED = 0


def resolve_backend(backend: str) -> str:
    """'tfidf' or 'embeddings'; UsageError for an unknown name or embeddings without the extra."""
    if backend not in BACKENDS:
        raise UsageError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "embeddings" if embeddings_available() else "tfidf"
    if backend == "embeddings" and not embeddings_available():
        raise UsageError("the embeddings backend needs the optional extra: pip install 'cxloop[embeddings]'")
    return backend


def _softmax(z: np.ndarray, temperature: float) -> np.ndarray:
    z = z / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _decision(svm: LinearSVC, x: sp.csr_matrix) -> np.ndarray:
    """One score column per class (a binary SVM's single margin m becomes [-m/2, m/2])."""
    scores = np.asarray(svm.decision_function(x), dtype=np.float64)
    if scores.ndim == 1:
        scores = np.column_stack([-scores, scores]) / 2.0
    return scores


class _Featurizer:
    """TF-IDF word + char_wb views, optionally concatenated with weighted sentence embeddings."""

    def __init__(self, backend: str, embedding_weight: float = 1.0) -> None:
        self.backend = backend
        self.embedding_weight = embedding_weight
        self.word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w[\w']*\b",
                                    dtype=np.float32)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1,
                                    dtype=np.float32)

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks = [self.word.fit_transform(texts), self.char.fit_transform(texts)]
        return self._with_embeddings(blocks, texts)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks = [self.word.transform(texts), self.char.transform(texts)]
        return self._with_embeddings(blocks, texts)

    def _with_embeddings(self, blocks: list[Any], texts: Sequence[str]) -> sp.csr_matrix:
        if self.backend == "embeddings":
            emb = SentenceEncoder.shared().encode(texts) * self.embedding_weight
            blocks.append(sp.csr_matrix(emb.astype(np.float32)))
        return sp.hstack(blocks, format="csr")


class TextClassifier:
    """Topic / intent classifier: `fit`, `predict` -> (labels, confidences), `save` / `load`."""

    def __init__(self, backend: str = "auto", c: float | None = None, embedding_weight: float = 2.0) -> None:
        self.backend = resolve_backend(backend)
        # Chosen on a fixed 85/15 split of BANKING77 *train* (the official test is never used).
        self.c = c if c is not None else (1.0 if self.backend == "embeddings" else 0.5)
        self.embedding_weight = embedding_weight
        self.oos_label: str | None = None
        self.threshold = 0.0
        self.temperature = 1.0
        self.classes_: np.ndarray = np.array([], dtype=object)
        self.version = "untrained"
        self._featurizer: _Featurizer | None = None
        self._svm: LinearSVC | None = None

    # --- training -----------------------------------------------------------------------------------
    def fit(
        self, texts: Sequence[str], labels: Sequence[str] | np.ndarray, oos_label: str | None = None
    ) -> TextClassifier:
        texts = [str(t) for t in texts]
        y = np.asarray([str(v) for v in labels], dtype=object)
        if len(texts) != len(y) or not texts:
            raise InputError("fit needs as many labels as texts, and at least one text")
        if len(set(y)) < 2:
            raise InputError("a classifier needs at least two distinct labels")
        self.oos_label = oos_label
        featurizer = _Featurizer(self.backend, self.embedding_weight)
        x = featurizer.fit_transform(texts)
        scores_oof = self._out_of_fold_scores(x, y)
        self._svm = LinearSVC(C=self.c, random_state=SEED).fit(x, y)
        self._featurizer = featurizer
        self.classes_ = np.asarray(self._svm.classes_, dtype=object)
        self.temperature = self._fit_temperature(scores_oof, y)
        if oos_label is not None and oos_label in set(y):
            self.threshold = self._fit_threshold(_softmax(scores_oof, self.temperature), y, oos_label)
        digest = hashlib.sha256("\x1f".join(texts + list(y)).encode("utf-8")).hexdigest()[:10]
        self.version = f"svm-{self.backend}-{digest}"
        return self

    def _out_of_fold_scores(self, x: sp.csr_matrix, y: np.ndarray) -> np.ndarray:
        """Decision scores of each training row from a model that did not see it (3-fold, stratified)."""
        classes = np.unique(y)
        smallest = min(int(np.sum(y == c)) for c in classes)
        scores = np.zeros((len(y), len(classes)))
        if smallest < 2:  # too few rows to hold any out: in-sample scores (over-confident, but defined)
            return _decision(LinearSVC(C=self.c, random_state=SEED).fit(x, y), x)
        for tr, te in StratifiedKFold(min(3, smallest), shuffle=True, random_state=SEED).split(x, y):
            svm = LinearSVC(C=self.c, random_state=SEED).fit(x[tr], y[tr])
            scores[np.ix_(te, np.searchsorted(classes, svm.classes_))] = _decision(svm, x[te])
        return scores

    def _fit_temperature(self, scores: np.ndarray, y: np.ndarray) -> float:
        """Temperature minimising the out-of-fold negative log-likelihood (temperature scaling)."""
        idx = np.searchsorted(self.classes_, y)

        def nll(t: float) -> float:
            p = _softmax(scores, t)[np.arange(len(y)), idx]
            return float(-np.mean(np.log(np.clip(p, 1e-12, None))))

        return float(minimize_scalar(nll, bounds=(0.01, 10.0), method="bounded").x)

    def _fit_threshold(self, proba: np.ndarray, y: np.ndarray, oos_label: str) -> float:
        oos_col = int(np.flatnonzero(self.classes_ == oos_label)[0])
        is_oos = y == oos_label
        best_label, best_in = self._decide(proba, oos_col)
        grid = np.unique(np.round(best_in, 3))
        right = best_label == y
        best = (0.0, -1.0)
        for t in grid:
            answered_none = (best_label == oos_label) | (best_in < t)
            in_acc = np.mean(right[~is_oos] & ~answered_none[~is_oos])
            oos_rec = np.mean(answered_none[is_oos])
            if in_acc + oos_rec > best[1]:
                best = (float(t), float(in_acc + oos_rec))
        return best[0]

    def _decide(self, proba: np.ndarray, oos_col: int) -> tuple[np.ndarray, np.ndarray]:
        in_scope = proba.copy()
        in_scope[:, oos_col] = -1.0
        top = np.where(proba[:, oos_col] >= in_scope.max(axis=1), oos_col, in_scope.argmax(axis=1))
        return self.classes_[top], in_scope.max(axis=1)

    # --- prediction ---------------------------------------------------------------------------------
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self._svm is None or self._featurizer is None:
            raise UsageError("the classifier is not trained; call fit or load a saved one")
        x = self._featurizer.transform([str(t) for t in texts])
        return _softmax(_decision(self._svm, x), self.temperature)

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Labels (object array; "none" for out of scope) and calibrated confidences in [0, 1]."""
        proba = self.predict_proba(texts)
        if self.oos_label is None or self.oos_label not in set(self.classes_):
            top = proba.argmax(axis=1)
            return self.classes_[top].astype(object), proba[np.arange(len(top)), top]
        oos_col = int(np.flatnonzero(self.classes_ == self.oos_label)[0])
        labels, best_in = self._decide(proba, oos_col)
        labels = labels.astype(object)
        none = (labels == self.oos_label) | (best_in < self.threshold)
        labels[none] = NONE_LABEL
        confidence = np.where(none, 1.0 - best_in, best_in)
        return labels, confidence

    # --- persistence --------------------------------------------------------------------------------
    def save(self, path: Path) -> Path:
        """Write the model into directory `path` (created) as one compressed joblib file."""
        path.mkdir(parents=True, exist_ok=True)
        state = {k: v for k, v in self.__dict__.items()}
        joblib.dump(state, path / MODEL_FILE, compress=3)
        return path

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        file = path / MODEL_FILE if path.is_dir() else path
        if not file.is_file():
            raise InputError(f"no trained classifier at {path}; run 'cxloop train topics'", file=str(path))
        state = joblib.load(file)
        if state.get("backend") == "embeddings" and not embeddings_available():
            raise UsageError(
                f"{path} was trained with sentence embeddings: pip install 'cxloop[embeddings]' to use it"
            )
        model = cls.__new__(cls)
        model.__dict__.update(state)
        return model
