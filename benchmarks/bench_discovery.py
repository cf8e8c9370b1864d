"""Topic discovery against human labels, side by side with the plain baseline, on several public sets.

    .venv/bin/python -m benchmarks.bench_discovery [--sets a,b] [--seeds 0,1,2] [--no-append]

Per set (benchmarks/discovery_sets.py: reasons, intents, aspect categories; zh and en): NMI and ARI of
- `baseline@gold-k`: TF-IDF (words for en, characters 1-2 for zh; min_df 5, max_df 0.5, English stop
  words) + truncated SVD (100) + L2 + k-means with k = the number of gold labels (the baseline is *given*
  the true k, which the product is not: an optimistic baseline);
- `baseline@product-k`: the same with the k the product chose;
- `cxloop tfidf`: `discover_topics` without an encoder (what runs where the embeddings extra is absent);
- `cxloop embeddings`: with the sentence encoder (extra `cxloop[embeddings]`; used on mostly-English sets).
k-means runs under several seeds: the mean and the range over seeds are reported; the 95% interval is a
bootstrap over texts (500 resamples of the seed-0 clustering).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.preprocessing import normalize

from benchmarks.discovery_sets import DISCOVERY_SETS, load_discovery_set
from cxloop.text.datasets import shared_data_dir
from cxloop.text.discovery import DiscoveryOptions, discover_topics
from cxloop.text.features import detect_languages

ROOT = Path(__file__).resolve().parents[1]


def baseline(texts: list[str], k: int, seed: int) -> np.ndarray:
    """TF-IDF + SVD + k-means as in scikit-learn's text-clustering example."""
    zh = float(np.mean(detect_languages(texts) == "zh")) >= 0.5
    vec = TfidfVectorizer(max_df=0.5, min_df=5, stop_words=None if zh else "english",
                          analyzer="char" if zh else "word", ngram_range=(1, 2) if zh else (1, 1))
    x = vec.fit_transform(texts)
    lsa = normalize(TruncatedSVD(min(100, x.shape[1] - 1), random_state=seed).fit_transform(x))
    return np.asarray(KMeans(k, n_init=5, random_state=seed).fit_predict(lsa))


def bootstrap_nmi(gold: np.ndarray, pred: np.ndarray, reps: int = 500) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    values = []
    for _ in range(reps):
        idx = rng.integers(0, len(gold), len(gold))
        values.append(normalized_mutual_info_score(gold[idx], pred[idx]))
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def _summary(gold: np.ndarray, runs: list[np.ndarray], seconds: list[float]) -> dict[str, Any]:
    nmis = [normalized_mutual_info_score(gold, r) for r in runs]
    lo, hi = bootstrap_nmi(gold, runs[0])
    return {
        "nmi": round(float(np.mean(nmis)), 4),
        "nmi_seed_range": [round(min(nmis), 4), round(max(nmis), 4)],
        "nmi_95ci_seed0": [round(lo, 4), round(hi, 4)],
        "ari": round(float(np.mean([adjusted_rand_score(gold, r) for r in runs])), 4),
        "k": int(np.median([len(set(r.tolist()) - {-1}) for r in runs])),
        "seconds": round(float(np.mean(seconds)), 1),
    }


def _product(texts: list[str], seeds: list[int], encoder: Any, weight: float) -> tuple[list[np.ndarray], list[float]]:
    runs, secs = [], []
    for seed in seeds:
        start = time.perf_counter()
        options = DiscoveryOptions(min_cluster_size=1, seed=seed, embedding_weight=weight)
        result = discover_topics(texts, options=options, encoder=encoder)
        secs.append(time.perf_counter() - start)
        runs.append(np.asarray(result.labels))
    return runs, secs


def bench_set(name: str, data: Path, seeds: list[int], encoder: Any, weights: list[float]) -> list[dict[str, Any]]:
    texts, labels = load_discovery_set(name, data)
    gold = np.asarray(labels, dtype=object)
    k_gold = len(set(labels))
    rows = []

    def add(method: str, runs: list[np.ndarray], secs: list[float]) -> dict[str, Any]:
        row = {"set": name, "n": len(texts), "gold_labels": k_gold, "method": method, **_summary(gold, runs, secs)}
        rows.append(row)
        print(row, flush=True)
        return row

    def base(k: int) -> tuple[list[np.ndarray], list[float]]:
        runs, secs = [], []
        for seed in seeds:
            start = time.perf_counter()
            runs.append(baseline(texts, k, seed))
            secs.append(time.perf_counter() - start)
        return runs, secs

    add("baseline@gold-k", *base(k_gold))
    tfidf = add("cxloop tfidf", *_product(texts, seeds, None, 1.0))
    add("baseline@product-k", *base(tfidf["k"]))
    if encoder is not None and float(np.mean(detect_languages(texts) == "en")) >= 0.5:
        for w in weights:
            add(f"cxloop embeddings (weight {w:g})", *_product(texts, seeds, encoder, w))
    return rows


def _encoder() -> Any:
    """The sentence encoder with its vectors cached on disk (benchmarks/.data/embeddings, ignored by git),
    so that comparing settings encodes each set once; None without the embeddings extra."""
    from cxloop.text.embeddings import embeddings_available

    if not embeddings_available():
        return None
    from cxloop.text.discovery import load_sentence_encoder

    encode = load_sentence_encoder()
    cache = ROOT / "benchmarks" / ".data" / "embeddings"
    cache.mkdir(parents=True, exist_ok=True)

    def cached(texts: Any) -> np.ndarray:
        key = hashlib.sha256("\x1f".join(texts).encode("utf-8")).hexdigest()[:20]
        path = cache / f"{key}.npy"
        if path.is_file():
            return np.asarray(np.load(path))
        vectors = encode(texts)
        np.save(path, vectors)
        return vectors

    return cached


def _append(rows: list[dict[str, Any]], command: str) -> None:
    load = Path("/proc/loadavg").read_text().split()[:3] if os.path.exists("/proc/loadavg") else ["?"] * 3
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "", f"## discovery: NMI against human labels, cxloop vs TF-IDF+SVD+k-means — {stamp}",
        "", f"Machine: {platform.platform()} · {os.cpu_count()} cores · load avg {' '.join(load)} at the end. "
        f"Command: `{command}`. Sets: benchmarks/discovery_sets.py (≤ 8,000 texts each, fixed sample). "
        "NMI = mean over k-means seeds [range over seeds]; 95% CI = bootstrap over texts of the seed-0 run.",
        "", "| set | n | gold labels | method | k | NMI | seed range | 95% CI | ARI | s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['set']} | {r['n']} | {r['gold_labels']} | {r['method']} | {r['k']} | {r['nmi']:.4f} | "
                     f"{r['nmi_seed_range'][0]:.4f}–{r['nmi_seed_range'][1]:.4f} | "
                     f"[{r['nmi_95ci_seed0'][0]:.4f}, {r['nmi_95ci_seed0'][1]:.4f}] | {r['ari']:.4f} | "
                     f"{r['seconds']} |")
    with (ROOT / "BENCHMARKS.md").open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(DISCOVERY_SETS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--weights", default="1", help="embedding weights to compare (model selection)")
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    data = shared_data_dir()
    seeds = [int(s) for s in args.seeds.split(",")]
    encoder = None if args.no_embeddings else _encoder()
    rows: list[dict[str, Any]] = []
    for name in args.sets.split(","):
        rows.extend(bench_set(name, data, seeds, encoder, [float(w) for w in args.weights.split(",")]))
    if not args.no_append:
        flags = [f"--sets {args.sets}", f"--seeds {args.seeds}", f"--weights {args.weights}"]
        flags += ["--no-embeddings"] if args.no_embeddings else []
        _append(rows, f".venv/bin/python -m benchmarks.bench_discovery {' '.join(flags)}")


if __name__ == "__main__":
    main()
