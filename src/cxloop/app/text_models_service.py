"""App layer for the text models: the evaluation contract (`cxloop eval sentiment|classify|match`) and
training (`cxloop train sentiment|emotion|topics`). Each function returns the JSON-ready dict printed."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.app.workspace import Workspace
from cxloop.errors import InputError, UsageError
from cxloop.text import evaluation
from cxloop.text.datasets import LabelledTexts, parse_label_map, read_labelled

__all__ = [
    "Columns",
    "eval_classify",
    "eval_match",
    "eval_sentiment",
    "topic_classifier_dir",
    "train_emotion_models",
    "train_matcher_model",
    "train_sentiment_models",
    "train_topics",
]


@dataclass(frozen=True)
class Columns:
    """How to read a labelled file: column names and the label map spec (`0=neg,1=pos`)."""

    text_col: str = "text"
    label_col: str = "label"
    text_col_b: str | None = None
    label_map: str | None = None

    def read(self, path: Path, *, pairs: bool = False) -> LabelledTexts:
        if pairs and not self.text_col_b:
            raise UsageError("pair files need a second text column: --text-col-b")
        return read_labelled(
            path,
            text_col=self.text_col,
            label_col=self.label_col,
            text_col_b=self.text_col_b if pairs else None,
            label_map=parse_label_map(self.label_map),
        )


def eval_sentiment(path: Path, columns: Columns, lang: str = "auto") -> dict[str, Any]:
    """The shipped sentiment model on gold neg|pos or neg|neu|pos labels."""
    from cxloop.text.sentiment import load_sentiment_model

    if lang not in ("zh", "en", "auto"):
        raise UsageError(f"--lang {lang!r} is not one of zh, en, auto")
    data = columns.read(path)
    evaluation.check_labels(data.labels, evaluation.SENTIMENT_LABELS, file=str(path), column=columns.label_col)
    model = load_sentiment_model()
    langs = None if lang == "auto" else [lang] * len(data)
    start = time.perf_counter()
    labels, scores = model.predict(data.texts, langs)
    elapsed = time.perf_counter() - start
    metrics = evaluation.sentiment_metrics(data.labels, labels, scores)
    return {
        "task": "sentiment",
        "data": str(path),
        "n": len(data),
        **metrics,
        **evaluation.intervals(metrics, {"accuracy": len(data)}),
        "docs_per_s": len(data) / max(elapsed, 1e-9),
        "model_version": model.version,
    }


def eval_classify(
    train: Path,
    test: Path,
    columns: Columns,
    *,
    oos_label: str | None = None,
    backend: str = "auto",
    tune_epochs: int = 8,
) -> dict[str, Any]:
    """Train the topic/intent classifier on `train` and score it on `test`."""
    from cxloop.text.classifier import TextClassifier

    train_data = columns.read(train)
    test_data = columns.read(test)
    model = TextClassifier(backend=backend, tune_epochs=tune_epochs)
    if oos_label is not None and oos_label not in set(train_data.labels):
        raise InputError(
            f"{train}: no row has the out-of-scope label {oos_label!r} in column '{columns.label_col}'",
            file=str(train),
            field=columns.label_col,
        )
    model.fit(train_data.texts, train_data.labels, oos_label=oos_label)
    start = time.perf_counter()
    pred, _ = model.predict(test_data.texts)
    elapsed = time.perf_counter() - start
    out: dict[str, Any] = {"task": "classify", "data": str(test), "n": len(test_data)}
    metrics = evaluation.classify_metrics(test_data.labels, pred, oos_label=oos_label)
    out.update(metrics)
    n_oos = int(np.sum(test_data.labels == oos_label)) if oos_label is not None else 0
    out.update(evaluation.intervals(metrics, {"accuracy": len(test_data), "in_scope_accuracy": len(test_data) - n_oos,
                                              "oos_recall": n_oos}))
    out.update(model.oos_calibration())
    out["docs_per_s"] = len(test_data) / max(elapsed, 1e-9)
    out["backend"] = model.backend
    out["model_version"] = model.version
    return out


def _pair_gold(data: LabelledTexts, path: Path, column: str) -> np.ndarray:
    evaluation.check_labels(data.labels, ("0", "1"), file=str(path), column=column)
    return data.labels.astype(np.int64)


def eval_match(data_path: Path, columns: Columns, *, dev: Path | None = None) -> dict[str, Any]:
    """Score pairs with the matcher; the threshold is tuned on `dev` when given, else the calibrated one."""
    from cxloop.text.matcher import QuestionMatcher

    matcher = QuestionMatcher()
    threshold = matcher.no_match_threshold
    if dev is not None:
        dev_data = columns.read(dev, pairs=True)
        dev_scores = matcher.pair_scores(dev_data.texts, dev_data.texts_b or [])
        threshold = evaluation.best_threshold(dev_scores, _pair_gold(dev_data, dev, columns.label_col))
    data = columns.read(data_path, pairs=True)
    gold = _pair_gold(data, data_path, columns.label_col)
    start = time.perf_counter()
    scores = matcher.pair_scores(data.texts, data.texts_b or [])
    elapsed = time.perf_counter() - start
    metrics = evaluation.match_metrics(gold, scores, threshold)
    return {
        "task": "match",
        "data": str(data_path),
        "n": len(data),
        **metrics,
        **evaluation.intervals(metrics, {"accuracy": len(data)}),
        "threshold": threshold,
        "pairs_per_s": len(data) / max(elapsed, 1e-9),
        "model_version": matcher.version,
    }


def train_sentiment_models(data_dir: Path, out: Path, *, subsample: int | None = None) -> dict[str, Any]:
    from cxloop.text.training import train_sentiment

    reports = train_sentiment(data_dir, out, subsample=subsample)
    return {"task": "train_sentiment", "out": str(out), "models": [r.to_dict() for r in reports]}


def train_emotion_models(data_dir: Path, out: Path, *, subsample: int | None = None) -> dict[str, Any]:
    from cxloop.text.training import train_emotion

    report = train_emotion(data_dir, out, subsample=subsample)
    return {"task": "train_emotion", "out": str(out), "models": [report.to_dict()]}


def train_matcher_model(data_dir: Path, out: Path) -> dict[str, Any]:
    from cxloop.text.matcher_training import train_matcher

    report = train_matcher(data_dir, out)
    return {"task": "train_matcher", "out": str(out), "models": [report]}


def topic_classifier_dir(ws: Workspace) -> Path:
    """Where the workspace's trained topic classifier lives (the enrich pipeline uses it when present)."""
    return ws.root / "models" / "topic_classifier"


def train_topics(
    ws: Workspace, data: Path, columns: Columns, *, backend: str = "auto", tune_epochs: int = 8
) -> dict[str, Any]:
    """Train the topic classifier on labelled texts into `WS/models/topic_classifier/`."""
    from cxloop.text.classifier import TextClassifier

    labelled = columns.read(data)
    start = time.perf_counter()
    model = TextClassifier(backend=backend, tune_epochs=tune_epochs).fit(labelled.texts, labelled.labels)
    path = model.save(topic_classifier_dir(ws))
    return {
        "task": "train_topics",
        "n": len(labelled),
        "labels": sorted(set(map(str, labelled.labels))),
        "backend": model.backend,
        "version": model.version,
        "path": str(path),
        "seconds": round(time.perf_counter() - start, 2),
    }
