"""Reproducible training of the shipped question-pair model (`cxloop train matcher`).

Training pairs: ATEC (Alipay customer service, 102k pairs) minus every pair that appears in AFQMC dev (AFQMC
is drawn from ATEC: all 4,316 dev pairs are in it), BQ dev (WeBank, 10k) and LCQMC dev (Baidu Zhidao,
8.8k). Each (source, class) cell gets equal total weight, so no corpus or class prior dominates and 0.5 is
a sensible cut. Reported figures: LCQMC dev by 3-fold cross-validation (the folds held out of training,
ATEC and BQ always in), next to the TF-IDF cosine baseline with its threshold tuned on the same data (an
optimistic baseline); AFQMC dev held out entirely. The shipped threshold maximises balanced accuracy on the
out-of-fold LCQMC predictions.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

from cxloop.errors import InputError
from cxloop.text.datasets import read_labelled
from cxloop.text.evaluation import best_threshold, match_metrics
from cxloop.text.features import HashedTfidf, fit_hashed_tfidf
from cxloop.text.matcher import MATCHER_FILE, PairModel
from cxloop.text.pair_features import pair_features

__all__ = ["Pairs", "load_pair_corpora", "train_matcher"]

SEED = 0


@dataclass
class Pairs:
    a: list[str]
    b: list[str]
    y: np.ndarray
    source: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    def take(self, idx: np.ndarray) -> Pairs:
        return Pairs([self.a[i] for i in idx], [self.b[i] for i in idx], self.y[idx], self.source[idx])


def _tsv_pairs(lines: list[str], a: int, b: int, y: int) -> tuple[list[str], list[str], list[int]]:
    out: tuple[list[str], list[str], list[int]] = ([], [], [])
    for line in lines:
        parts = line.split("\t")
        if len(parts) > max(a, b, y) and parts[y].strip() in ("0", "1"):
            out[0].append(parts[a].lstrip("\ufeff"))
            out[1].append(parts[b])
            out[2].append(int(parts[y]))
    return out


def _need(path: Path) -> Path:
    if not path.is_file():
        raise InputError(f"training data {path} not found; pass --data-dir with the shared data", file=str(path))
    return path


def load_pair_corpora(data_dir: Path) -> dict[str, Pairs]:
    """ATEC (without AFQMC dev pairs), BQ dev, LCQMC dev and AFQMC dev as `Pairs`."""
    afqmc_rows = [json.loads(line) for line in _need(data_dir / "AFQMC" / "dev.json").read_text("utf-8").splitlines()
                  if line.strip()]
    afqmc = Pairs([r["sentence1"] for r in afqmc_rows], [r["sentence2"] for r in afqmc_rows],
                  np.array([int(r["label"]) for r in afqmc_rows]), np.array(["afqmc"] * len(afqmc_rows)))
    held = {(x, z) for x, z in zip(afqmc.a, afqmc.b, strict=True)}
    held |= {(z, x) for x, z in held}
    atec_a, atec_b, atec_y = _tsv_pairs(
        _need(data_dir / "ATEC" / "atec_nlp_sim_train.csv").read_text("utf-8-sig").splitlines(), 1, 2, 3)
    with gzip.open(_need(data_dir / "ATEC" / "atec_nlp_sim_train_add.csv.gz"), "rt", encoding="utf-8") as fh:
        add = _tsv_pairs(fh.read().splitlines()[1:], 1, 2, 3)
    all_a, all_b = atec_a + add[0], atec_b + add[1]
    keep = [i for i, pair in enumerate(zip(all_a, all_b, strict=True)) if pair not in held]
    atec = Pairs([all_a[i] for i in keep], [all_b[i] for i in keep], np.array(atec_y + add[2])[keep],
                 np.array(["atec"] * len(keep)))
    bq_raw = read_labelled(_need(data_dir / "BQ_corpus" / "dev.csv"), text_col="sentence1", text_col_b="sentence2")
    bq = Pairs(bq_raw.texts, bq_raw.texts_b or [], bq_raw.labels.astype(np.int64), np.array(["bq"] * len(bq_raw)))
    la, lb, ly = _tsv_pairs(_need(data_dir / "LCQMC" / "dev.txt").read_text("utf-8").splitlines(), 0, 1, 2)
    lcqmc = Pairs(la, lb, np.array(ly), np.array(["lcqmc"] * len(la)))
    return {"atec": atec, "bq": bq, "lcqmc": lcqmc, "afqmc": afqmc}


def _cell_weights(pairs: Pairs) -> np.ndarray:
    """Equal total weight per (source, class) cell."""
    keys = np.char.add(pairs.source.astype(str), pairs.y.astype(str))
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return (len(keys) / (len(counts) * counts))[inverse]


def _fit(x: np.ndarray, pairs: Pairs, max_iter: int) -> HistGradientBoostingClassifier:
    model = HistGradientBoostingClassifier(max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=31,
                                           random_state=SEED)
    return model.fit(x, pairs.y, sample_weight=_cell_weights(pairs))


def _cosine(tfidf: HashedTfidf, a: list[str], b: list[str]) -> np.ndarray:
    return np.asarray(tfidf.transform(a).multiply(tfidf.transform(b)).sum(axis=1)).ravel()


def train_matcher(data_dir: Path, out_dir: Path, *, max_iter: int = 300, folds: int = 3) -> dict[str, Any]:
    """Train `matcher_zh.joblib`; returns the CV and held-out figures with the cosine baseline."""
    corpora = load_pair_corpora(data_dir)
    base, lcqmc, afqmc = corpora["atec"], corpora["lcqmc"], corpora["afqmc"]
    base = Pairs(base.a + corpora["bq"].a, base.b + corpora["bq"].b, np.concatenate([base.y, corpora["bq"].y]),
                 np.concatenate([base.source, corpora["bq"].source]))
    tfidf = fit_hashed_tfidf(base.a + base.b + lcqmc.a + lcqmc.b, analyzer="char", ngram_range=(1, 3),
                             n_features=2**18, min_df=2)
    x_base = pair_features(base.a, base.b, tfidf)
    x_lcqmc = pair_features(lcqmc.a, lcqmc.b, tfidf)
    oof = np.zeros(len(lcqmc))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=SEED).split(x_lcqmc, lcqmc.y):
        part = lcqmc.take(tr)
        both = Pairs(base.a + part.a, base.b + part.b, np.concatenate([base.y, part.y]),
                     np.concatenate([base.source, part.source]))
        model = _fit(np.vstack([x_base, x_lcqmc[tr]]), both, max_iter)
        oof[te] = model.predict_proba(x_lcqmc[te])[:, 1]
    threshold = _balanced_threshold(oof, lcqmc.y)
    everything = Pairs(base.a + lcqmc.a, base.b + lcqmc.b, np.concatenate([base.y, lcqmc.y]),
                       np.concatenate([base.source, lcqmc.source]))
    final = _fit(np.vstack([x_base, x_lcqmc]), everything, max_iter)
    pair_model = PairModel(tfidf, final, threshold, "hgb-zh-1")
    out_dir.mkdir(parents=True, exist_ok=True)
    pair_model.save(out_dir / MATCHER_FILE)
    af_scores = pair_model.scores(afqmc.a, afqmc.b)
    cos_l, cos_a = _cosine(tfidf, lcqmc.a, lcqmc.b), _cosine(tfidf, afqmc.a, afqmc.b)
    return {
        "model": "matcher_zh",
        "n_train": len(everything),
        "threshold": round(threshold, 4),
        "lcqmc_dev_cv": match_metrics(lcqmc.y, oof, threshold),
        "lcqmc_dev_cosine_tuned": match_metrics(lcqmc.y, cos_l, best_threshold(cos_l, lcqmc.y)),
        "afqmc_dev_heldout": match_metrics(afqmc.y, af_scores, threshold),
        "afqmc_dev_cosine_tuned": match_metrics(afqmc.y, cos_a, best_threshold(cos_a, afqmc.y)),
        "files": [str(out_dir / MATCHER_FILE)],
    }


def _balanced_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """Cut maximising balanced accuracy (mean of the two class recalls) over a 0.01 grid."""
    grid = np.linspace(0.05, 0.95, 91)
    pos, neg = y == 1, y == 0
    values = [(np.mean(scores[pos] >= t) + np.mean(scores[neg] < t)) / 2 for t in grid]
    return float(grid[int(np.argmax(values))])
