"""CLINC150: in-scope accuracy and out-of-scope recall on val for several out-of-scope recall targets.

    .venv/bin/python -m benchmarks.oos_targets [--backend embeddings|tfidf] [--targets 0.85,0.9,0.93,0.95,0.97]

One fit on train + oos_train (`--tune-epochs 0`: the none decision uses the linear model's probabilities
either way); the threshold for each target is the classifier's own split-conformal rule applied to the same
out-of-fold none-scores of the training rows, so only the target differs. Val (3,000 in-scope, 100
out-of-scope rows) is scored once per target; intervals are 95% Wilson intervals.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from cxloop.text.classifier import TextClassifier
from cxloop.text.datasets import shared_data_dir
from cxloop.text.evaluation import wilson_interval


class _Recording(TextClassifier):
    """The classifier, keeping the out-of-fold none-scores its threshold was calibrated on."""

    def _fit_threshold(self, none_score: np.ndarray, is_oos: np.ndarray) -> float:
        self.recorded = (none_score, is_oos)
        return super()._fit_threshold(none_score, is_oos)


def _ci(p: float, n: int) -> str:
    lo, hi = wilson_interval(p * n, n)
    return f"{p:.4f} [{lo:.4f}, {hi:.4f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="embeddings")
    parser.add_argument("--targets", default="0.85,0.9,0.93,0.95,0.97")
    args = parser.parse_args()
    d = json.loads((shared_data_dir() / "clinc150" / "data_full.train_val.json").read_text(encoding="utf-8"))
    train, val = d["train"] + d["oos_train"], d["val"] + d["oos_val"]
    model = _Recording(backend=args.backend, tune_epochs=0)
    model.fit([t for t, _ in train], [y for _, y in train], oos_label="oos")
    gold = np.asarray([y for _, y in val], dtype=object)
    linear, knn, proba = model._scores([t for t, _ in val])
    none_val = model._none_score(linear, knn)
    in_proba = proba.copy()
    in_proba[:, model._oos_col()] = -1.0
    right = model.classes_[in_proba.argmax(axis=1)] == gold
    is_oos = gold == "oos"
    rows: list[dict[str, Any]] = []
    for target in (float(t) for t in args.targets.split(",")):
        model.oos_recall_target = target
        threshold = TextClassifier._fit_threshold(model, *model.recorded)
        none = none_val >= threshold
        in_scope = float(np.mean((~none & right)[~is_oos]))
        recall = float(np.mean(none[is_oos]))
        rows.append({"target": target, "threshold": round(threshold, 4),
                     "in_scope_accuracy": _ci(in_scope, int((~is_oos).sum())),
                     "oos_recall": _ci(recall, int(is_oos.sum())),
                     "predicted_recall_ci95": model.oos_calibration()["oos_recall_predicted_ci95"]})
        print(rows[-1], flush=True)


if __name__ == "__main__":
    main()
