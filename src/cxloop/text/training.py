"""Reproducible training of the shipped sentiment and emotion models from the public data.

Model selection follows the evaluation contract: the regularisation C is chosen by stratified k-fold
cross-validation on the training data only (fixed seed); held-out figures (ChnSentiCorp dev; a fixed 20%
stratified split for emotion) are computed once, after selection. The shipped emotion model is refitted on
all of its data with the chosen C; the sentiment models never see ChnSentiCorp dev.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from cxloop.text import datasets
from cxloop.text.features import HashedTfidf, LinearTextModel, fit_hashed_tfidf

__all__ = [
    "TrainReport",
    "ViewSpec",
    "fit_linear_text_model",
    "train_emotion",
    "train_sentiment",
]

SEED = 0


@dataclass(frozen=True)
class ViewSpec:
    analyzer: str = "char"
    ngram_range: tuple[int, int] = (1, 3)
    n_features: int = 2**20
    min_df: int = 2


@dataclass
class TrainReport:
    """What one training run chose and measured."""

    model: str
    n_train: int
    chosen_c: float
    cv_accuracy: float
    heldout: dict[str, float] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "n_train": self.n_train,
            "chosen_c": self.chosen_c,
            "cv_accuracy": round(self.cv_accuracy, 4),
            "heldout": {k: round(v, 4) for k, v in self.heldout.items()},
            "files": self.files,
        }


def _fit_views(texts: Sequence[str], specs: Sequence[ViewSpec]) -> list[HashedTfidf]:
    return [
        fit_hashed_tfidf(texts, analyzer=s.analyzer, ngram_range=s.ngram_range, n_features=s.n_features,
                         min_df=s.min_df)
        for s in specs
    ]


def _design(views: Sequence[HashedTfidf], texts: Sequence[str]) -> sp.csr_matrix:
    blocks = [v.transform(texts) for v in views]
    return blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")


def fit_linear_text_model(
    texts: Sequence[str],
    labels: np.ndarray,
    *,
    specs: Sequence[ViewSpec],
    c: float,
    version: str,
    sample_weight: np.ndarray | None = None,
    class_weight: str | None = None,
    meta: dict[str, str] | None = None,
) -> LinearTextModel:
    """Fit hashed TF-IDF views and an L2 logistic regression (lbfgs) on them; sparse float16-ready coef."""
    views = _fit_views(texts, specs)
    x = _design(views, texts)
    clf = LogisticRegression(C=c, max_iter=3000, class_weight=class_weight, random_state=SEED)
    clf.fit(x, labels, sample_weight=sample_weight)
    coef = sp.csr_matrix(np.where(np.abs(clf.coef_) < 1e-6, 0.0, clf.coef_).astype(np.float32))
    return LinearTextModel(
        views=views,
        classes=np.array([str(c) for c in clf.classes_], dtype=object),
        coef=coef,
        intercept=clf.intercept_.astype(np.float64),
        version=version,
        meta=dict(meta or {}),
    )


def _predict(model: LinearTextModel, texts: Sequence[str]) -> np.ndarray:
    return np.asarray(model.classes[np.argmax(model.proba(texts), axis=1)], dtype=object)


def choose_c(
    texts: list[str],
    labels: np.ndarray,
    *,
    specs: Sequence[ViewSpec],
    grid: Sequence[float],
    folds: int = 3,
    extra: datasets.LabelledTexts | None = None,
    extra_weight: float = 0.0,
    class_weight: str | None = None,
) -> tuple[float, float]:
    """C with the best mean k-fold accuracy on `texts` (extra data, if any, is added to each train fold)."""
    if len(grid) == 1:
        return float(grid[0]), float("nan")
    cv = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    best: tuple[float, float] = (float(grid[0]), -1.0)
    for c in grid:
        scores = []
        for tr, te in cv.split(np.zeros(len(texts)), labels):
            fold_texts = [texts[i] for i in tr]
            fold_labels = labels[tr]
            weights = np.ones(len(tr))
            if extra is not None and extra_weight > 0:
                fold_texts += extra.texts
                fold_labels = np.concatenate([fold_labels, extra.labels])
                weights = np.concatenate([weights, np.full(len(extra), extra_weight)])
            model = fit_linear_text_model(fold_texts, fold_labels, specs=specs, c=c, version="cv",
                                          sample_weight=weights, class_weight=class_weight)
            scores.append(accuracy_score(labels[te], _predict(model, [texts[i] for i in te])))
        if np.mean(scores) > best[1]:
            best = (float(c), float(np.mean(scores)))
    return best


ZH_SENTIMENT_VIEWS = (ViewSpec("char", (1, 3), 2**20, 2),)
EN_SENTIMENT_VIEWS = (ViewSpec("word", (1, 2), 2**18, 2), ViewSpec("char", (2, 4), 2**18, 2))
ZH_EMOTION_VIEWS = (ViewSpec("char", (1, 3), 2**20, 2),)
EXTRA_WEIGHT = 0.1


def _subsample(data: datasets.LabelledTexts, n: int | None) -> datasets.LabelledTexts:
    if n is None or n >= len(data):
        return data
    idx, _ = train_test_split(np.arange(len(data)), train_size=n, stratify=data.labels, random_state=SEED)
    idx = np.sort(idx)
    return datasets.LabelledTexts([data.texts[i] for i in idx], data.labels[idx])


def train_sentiment(
    data_dir: Path,
    out_dir: Path,
    *,
    grid: Sequence[float] = (3.0, 10.0, 30.0),
    subsample: int | None = None,
    use_extra: bool = True,
) -> list[TrainReport]:
    """Train sentiment_zh.npz and sentiment_en.npz into `out_dir`; report CV and held-out figures."""
    train = _subsample(datasets.load_chnsenticorp(data_dir, "train"), subsample)
    dev = datasets.load_chnsenticorp(data_dir, "dev")
    extra = _subsample(datasets.load_online_shopping(data_dir), subsample) if use_extra else None
    c, cv_acc = choose_c(train.texts, train.labels, specs=ZH_SENTIMENT_VIEWS, grid=grid, extra=extra,
                         extra_weight=EXTRA_WEIGHT)
    texts, labels, weights = train.texts, train.labels, np.ones(len(train))
    if extra is not None:
        texts = [*texts, *extra.texts]
        labels = np.concatenate([labels, extra.labels])
        weights = np.concatenate([weights, np.full(len(extra), EXTRA_WEIGHT)])
    zh = fit_linear_text_model(texts, labels, specs=ZH_SENTIMENT_VIEWS, c=c, version="zh-lr-c13-1",
                               sample_weight=weights, meta={"neutral_band": "0.25"})
    zh_pred = _predict(zh, dev.texts)
    reports = [TrainReport("sentiment_zh", len(texts), c, cv_acc, {
        "chnsenticorp_dev_accuracy": float(accuracy_score(dev.labels, zh_pred)),
        "chnsenticorp_dev_macro_f1": float(f1_score(dev.labels, zh_pred, average="macro")),
    })]
    out_dir.mkdir(parents=True, exist_ok=True)
    zh.save(out_dir / "sentiment_zh.npz")
    reports[0].files.append(str(out_dir / "sentiment_zh.npz"))

    alexa = datasets.load_amazon_alexa(data_dir)
    en_train_idx, en_test_idx = train_test_split(np.arange(len(alexa)), test_size=0.2, stratify=alexa.labels,
                                                 random_state=SEED)
    en_texts = [alexa.texts[i] for i in en_train_idx]
    c_en, cv_en = choose_c(en_texts, alexa.labels[en_train_idx], specs=EN_SENTIMENT_VIEWS, grid=grid,
                           class_weight="balanced")
    held = fit_linear_text_model(en_texts, alexa.labels[en_train_idx], specs=EN_SENTIMENT_VIEWS, c=c_en,
                                 version="heldout", class_weight="balanced")
    en_pred = _predict(held, [alexa.texts[i] for i in en_test_idx])
    en = fit_linear_text_model(alexa.texts, alexa.labels, specs=EN_SENTIMENT_VIEWS, c=c_en,
                               version="en-lr-w12c24-1", class_weight="balanced")
    en.save(out_dir / "sentiment_en.npz")
    reports.append(TrainReport("sentiment_en", len(alexa), c_en, cv_en, {
        "alexa_heldout_accuracy": float(accuracy_score(alexa.labels[en_test_idx], en_pred)),
        "alexa_heldout_macro_f1": float(f1_score(alexa.labels[en_test_idx], en_pred, average="macro")),
    }, [str(out_dir / "sentiment_en.npz")]))
    return reports


def train_emotion(
    data_dir: Path,
    out_dir: Path,
    *,
    grid: Sequence[float] = (2.0,),
    subsample: int | None = None,
) -> TrainReport:
    """Train emotion_zh.npz on NLPCC 2013 + SMP2020-EWECT (mapped onto the 7 emotions).

    C is fixed at 2 by default (a 7-class fit over 2^20 hashed features is slow on 2 shared cores); pass
    a longer `grid` to choose it by 3-fold CV on the 80% training split."""
    data = _subsample(datasets.load_zh_emotion(data_dir), subsample)
    tr, te = train_test_split(np.arange(len(data)), test_size=0.2, stratify=data.labels, random_state=SEED)
    tr_texts = [data.texts[i] for i in tr]
    c, cv_acc = choose_c(tr_texts, data.labels[tr], specs=ZH_EMOTION_VIEWS, grid=grid)
    held = fit_linear_text_model(tr_texts, data.labels[tr], specs=ZH_EMOTION_VIEWS, c=c, version="heldout")
    pred = _predict(held, [data.texts[i] for i in te])
    model = fit_linear_text_model(data.texts, data.labels, specs=ZH_EMOTION_VIEWS, c=c, version="zh-lr-c13-1")
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir / "emotion_zh.npz")
    return TrainReport("emotion_zh", len(data), c, cv_acc, {
        "heldout20_accuracy": float(accuracy_score(data.labels[te], pred)),
        "heldout20_macro_f1": float(f1_score(data.labels[te], pred, average="macro")),
    }, [str(out_dir / "emotion_zh.npz")])
