"""Scoring for the evaluation contract (`cxloop eval ...`): accuracy, macro-F1, out-of-scope figures,
pair accuracy/F1, threshold tuning, and confidence intervals (Wilson score interval for a proportion)."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from cxloop.errors import InputError

__all__ = [
    "SENTIMENT_LABELS",
    "best_threshold",
    "classify_metrics",
    "intervals",
    "match_metrics",
    "sentiment_metrics",
    "wilson_interval",
]

SENTIMENT_LABELS = ("neg", "neu", "pos")


def wilson_interval(successes: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion (Wilson 1927)."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def check_labels(gold: np.ndarray, allowed: tuple[str, ...], *, file: str, column: str) -> None:
    """InputError naming the file and label column when gold labels fall outside `allowed`."""
    bad = sorted(set(map(str, gold)) - set(allowed))
    if bad:
        shown = ", ".join(repr(b) for b in bad[:5])
        raise InputError(
            f"{file}: column '{column}' has labels {shown} outside {'|'.join(allowed)}; "
            "map them with --label-map, e.g. --label-map 0=neg,1=pos",
            file=file,
            field=column,
        )


def sentiment_metrics(gold: np.ndarray, labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1; with two-class gold, a neutral prediction counts as the pole its score is
    nearer to (score >= 0 -> pos)."""
    pred = np.asarray(labels, dtype=object).copy()
    if "neu" not in set(gold):
        neutral = pred == "neu"
        pred[neutral] = np.where(np.asarray(scores)[neutral] >= 0, "pos", "neg")
    return {
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, average="macro", labels=sorted(set(gold)), zero_division=0)),
    }


def classify_metrics(
    gold: np.ndarray, pred: np.ndarray, *, oos_label: str | None = None, none_label: str = "none"
) -> dict[str, float]:
    """Accuracy and macro-F1 (a 'none' answer equals the out-of-scope gold label); with `oos_label`, also
    in-scope accuracy ('none' counts as wrong) and out-of-scope recall (share of OOS rows answered 'none')."""
    pred = np.asarray(pred, dtype=object)
    gold = np.asarray(gold, dtype=object)
    scored = pred.copy()
    if oos_label is not None:
        scored[pred == none_label] = oos_label
    out = {
        "accuracy": float(accuracy_score(gold, scored)),
        "macro_f1": float(f1_score(gold, scored, average="macro", labels=sorted(set(gold)), zero_division=0)),
    }
    if oos_label is not None:
        is_oos = gold == oos_label
        in_scope = ~is_oos
        out["in_scope_accuracy"] = float(np.mean(pred[in_scope] == gold[in_scope])) if in_scope.any() else 0.0
        out["oos_recall"] = float(np.mean(pred[is_oos] == none_label)) if is_oos.any() else 0.0
    return out


def best_threshold(scores: np.ndarray, gold: np.ndarray) -> float:
    """Threshold on pair scores maximising accuracy (ties: the lowest); candidates are midpoints."""
    order = np.argsort(scores)
    s, y = np.asarray(scores)[order], np.asarray(gold)[order].astype(np.int64)
    # predicting positive for s >= t: accuracy = (#neg below t + #pos at/above t) / n
    neg_below = np.concatenate([[0], np.cumsum(1 - y)])
    pos_above = np.concatenate([np.cumsum(y[::-1])[::-1], [0]])
    correct = neg_below + pos_above
    cut = int(np.argmax(correct))
    if cut == 0:
        return float(s[0])
    if cut == len(s):
        return float(s[-1]) + 1e-9
    return float((s[cut - 1] + s[cut]) / 2.0)


def match_metrics(gold: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    pred = (np.asarray(scores) >= threshold).astype(np.int64)
    y = np.asarray(gold).astype(np.int64)
    return {"accuracy": float(np.mean(pred == y)), "f1": float(f1_score(y, pred, zero_division=0))}


def intervals(metrics: dict[str, float], counts: dict[str, int]) -> dict[str, list[float]]:
    """`<name>_ci95`: the 95% Wilson interval of each proportion in `metrics` named in `counts` (its n)."""
    out = {}
    for name, n in counts.items():
        if name in metrics and n > 0:
            lo, hi = wilson_interval(metrics[name] * n, n)
            out[f"{name}_ci95"] = [round(lo, 4), round(hi, 4)]
    return out
