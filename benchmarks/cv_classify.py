"""Cross-validation of the intent classifier on BANKING77 *train* only (model choice without the dev slice).

    .venv/bin/python -m benchmarks.cv_classify [--folds 3] [--tune-epochs 8]

Takes the public check's 85% part of BANKING77 train (the 15% slice stays unseen), splits it into stratified
folds in file order (as `TextClassifier.fit` does for its own out-of-fold scores), fits the shipped
classifier on each training part and prints, per fold and overall, the accuracy of the linear model alone
(frozen encoder) and of the final combination with the fine-tuned top layer — both from one fit per fold.
Needs ../shared/data and the embeddings extra.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from sklearn.model_selection import StratifiedKFold

from benchmarks.bench_text_models import _banking_split
from cxloop.text import datasets
from cxloop.text.classifier import TextClassifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--tune-epochs", type=int, default=8)
    args = parser.parse_args()
    x, y, _, _ = _banking_split(datasets.shared_data_dir())
    texts, labels = np.asarray(x, dtype=object), np.asarray(y, dtype=object)
    right = {"linear": 0, "final": 0}
    for fold, (tr, te) in enumerate(StratifiedKFold(args.folds).split(texts, labels)):
        start = time.perf_counter()
        model = TextClassifier(backend="embeddings", tune_epochs=args.tune_epochs).fit(list(texts[tr]), labels[tr])
        linear, _, final = model._scores(list(texts[te]))
        row: dict[str, object] = {"fold": fold, "n": len(te), "fit_s": round(time.perf_counter() - start, 1)}
        for name, proba in (("linear", linear), ("final", final)):
            hits = int(np.sum(model.classes_[proba.argmax(axis=1)] == labels[te]))
            right[name] += hits
            row[name] = round(hits / len(te), 4)
        print(json.dumps(row), flush=True)
    print(json.dumps({"folds": args.folds, "n": len(texts), **{k: round(v / len(texts), 4) for k, v in right.items()}}))


if __name__ == "__main__":
    main()
