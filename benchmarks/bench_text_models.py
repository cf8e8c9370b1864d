"""Text models on public dev data: accuracy with 95% Wilson intervals and throughput (one process).

    .venv/bin/python -m benchmarks.bench_text_models [--parts sentiment,emotion,classify,match]
                                                     [--repeat 3] [--no-append]

- sentiment: the shipped model on ChnSentiCorp dev (never trained on) and throughput on 20,000 short texts
  (<= 30 chars), sentiment alone and sentiment + emotion together (they share one tokenisation);
- emotion: the English lexicon against Amazon Alexa star polarity (coverage and agreement);
- classify: BANKING77 (the public check's fixed 85/15 split of train) per backend (embeddings: frozen and
  with the top layer fine-tuned), CLINC150 val with oos; training time in seconds;
- match: LCQMC dev and AFQMC dev with the calibrated threshold, next to TF-IDF cosine with a tuned one.
Dev figures are run once; models were chosen by cross-validation on training data only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.text import datasets
from cxloop.text.evaluation import best_threshold, match_metrics, wilson_interval

ROOT = Path(__file__).resolve().parents[1]


def _ci(acc: float, n: int) -> str:
    lo, hi = wilson_interval(acc * n, n)
    return f"{acc:.4f} [{lo:.4f}, {hi:.4f}]"


def _median_rate(fn: Any, n: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def bench_sentiment(data: Path, repeat: int) -> list[dict[str, Any]]:
    from cxloop.text.emotion import load_emotion_model
    from cxloop.text.evaluation import sentiment_metrics
    from cxloop.text.features import _hashed_counts
    from cxloop.text.sentiment import load_sentiment_model

    model, emotion = load_sentiment_model(), load_emotion_model()
    dev = datasets.load_chnsenticorp(data, "dev")
    labels, scores = model.predict(dev.texts, ["zh"] * len(dev))
    m = sentiment_metrics(dev.labels, labels, scores)
    shop = datasets.load_online_shopping(data).texts + datasets.load_amazon_alexa(data).texts
    short = [t[:30] for t in random.Random(0).sample(shop, 20000)]

    def both() -> None:
        _hashed_counts.cache_clear()
        model.predict(short)
        emotion.predict(short)

    def alone() -> None:
        _hashed_counts.cache_clear()
        model.predict(short)

    return [
        {"task": "sentiment zh", "data": "ChnSentiCorp dev", "n": len(dev),
         "accuracy [95% CI]": _ci(m["accuracy"], len(dev)), "macro_f1": round(m["macro_f1"], 4)},
        {"task": "sentiment throughput", "data": "20k short reviews zh/en", "n": len(short),
         "docs/s": round(_median_rate(alone, len(short), repeat))},
        {"task": "sentiment + emotion throughput", "data": "20k short reviews zh/en", "n": len(short),
         "docs/s": round(_median_rate(both, len(short), repeat))},
    ]


def bench_emotion(data: Path, repeat: int) -> list[dict[str, Any]]:
    from cxloop.text.emotion import EnglishEmotionLexicon

    alexa = datasets.load_amazon_alexa(data)
    got = EnglishEmotionLexicon().predict(alexa.texts)
    polarity = np.where(np.isin(got, ["joy", "surprise"]), "pos",
                        np.where(np.isin(got, ["anger", "disgust", "fear", "sadness"]), "neg", "none"))
    covered = polarity != "none"
    agree = float(np.mean(polarity[covered] == alexa.labels[covered]))
    neg = alexa.labels == "neg"
    neg_cov = covered & neg
    neg_agree = float(np.mean(polarity[neg_cov] == "neg")) if neg_cov.any() else float("nan")
    return [
        {"task": "emotion en lexicon", "data": "Amazon Alexa (1-2 vs 4-5 stars)", "n": len(alexa),
         "coverage": round(float(covered.mean()), 4),
         "accuracy [95% CI]": _ci(agree, int(covered.sum())) + " polarity agreement where non-neutral",
         "neg reviews": f"coverage {neg_cov.sum() / max(neg.sum(), 1):.3f}, agreement {neg_agree:.3f}"},
    ]


def _banking_split(data: Path) -> tuple[list[str], list[str], list[str], np.ndarray]:
    with (data / "banking77" / "train.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    random.Random(0).shuffle(rows)
    cut = int(len(rows) * 0.85)
    return ([r["text"] for r in rows[:cut]], [r["category"] for r in rows[:cut]],
            [r["text"] for r in rows[cut:]], np.array([r["category"] for r in rows[cut:]], dtype=object))


def bench_classify(data: Path, repeat: int) -> list[dict[str, Any]]:
    from cxloop.text.classifier import TextClassifier
    from cxloop.text.embeddings import embeddings_available

    out = []
    xtr, ytr, xte, yte = _banking_split(data)
    variants = [("tfidf", 0, "tfidf")]
    if embeddings_available():  # the frozen encoder next to the shipped default (top layer fine-tuned)
        variants += [("embeddings", 0, "embeddings, frozen"), ("embeddings", 8, "embeddings + tuned top layer")]
    for backend, tune_epochs, name in variants:
        start = time.perf_counter()
        model = TextClassifier(backend=backend, tune_epochs=tune_epochs).fit(xtr, ytr)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        pred, _ = model.predict(xte)
        rate = len(xte) / (time.perf_counter() - start)
        acc = float(np.mean(pred == yte))
        out.append({"task": f"intents ({name})", "data": "BANKING77 15% of train", "n": len(xte),
                    "accuracy [95% CI]": _ci(acc, len(xte)), "docs/s": round(rate), "fit s": round(fit_s)})
        clinc = json.loads((data / "clinc150" / "data_full.train_val.json").read_text("utf-8"))
        train, val = clinc["train"] + clinc["oos_train"], clinc["val"] + clinc["oos_val"]
        start = time.perf_counter()
        model = TextClassifier(backend=backend, tune_epochs=tune_epochs).fit(
            [t for t, _ in train], [y for _, y in train], oos_label="oos")
        fit_s = time.perf_counter() - start
        pred, _ = model.predict([t for t, _ in val])
        gold = np.array([y for _, y in val], dtype=object)
        oos = gold == "oos"
        in_acc, rec = float(np.mean(pred[~oos] == gold[~oos])), float(np.mean(pred[oos] == "none"))
        out.append({"task": f"intents+oos ({name})", "data": "CLINC150 val", "n": len(val),
                    "accuracy [95% CI]": f"in-scope {_ci(in_acc, int((~oos).sum()))}; "
                                         f"oos recall {_ci(rec, int(oos.sum()))}", "fit s": round(fit_s)})
    return out


def bench_match(data: Path, repeat: int) -> list[dict[str, Any]]:
    from cxloop.text.matcher import QuestionMatcher
    from cxloop.text.matcher_training import load_pair_corpora

    corpora = load_pair_corpora(data)
    matcher = QuestionMatcher()
    out = []
    for name in ("lcqmc", "afqmc"):
        pairs = corpora[name]
        start = time.perf_counter()
        scores = matcher.pair_scores(pairs.a, pairs.b)
        rate = len(pairs) / (time.perf_counter() - start)
        m = match_metrics(pairs.y, scores, matcher.no_match_threshold)
        cos = np.asarray(matcher.model.tfidf.transform(pairs.a).multiply(matcher.model.tfidf.transform(pairs.b))
                         .sum(axis=1)).ravel()
        base = match_metrics(pairs.y, cos, best_threshold(cos, pairs.y))
        note = "IN TRAINING DATA (see CV figure)" if name == "lcqmc" else "held out"
        out.append({"task": "match", "data": f"{name.upper()} dev ({note})", "n": len(pairs),
                    "accuracy [95% CI]": _ci(m["accuracy"], len(pairs)), "f1": round(m["f1"], 4),
                    "baseline cosine (tuned)": round(base["accuracy"], 4), "pairs/s": round(rate)})
    return out


PARTS = {"sentiment": bench_sentiment, "emotion": bench_emotion, "classify": bench_classify,
         "match": bench_match}


def _markdown(rows: list[dict[str, Any]], command: str) -> str:
    cols: list[str] = []
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    lines = [
        f"## Text models (`benchmarks/bench_text_models.py`, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)",
        "",
        f"Machine: {platform.platform()} · {os.cpu_count()} cores · "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM · "
        f"load avg {os.getloadavg()[0]:.1f} (shared with other jobs). Command: `{command}`. "
        f"Peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB. Throughput: one process, "
        "median of the repeats.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    data = datasets.shared_data_dir()
    if not data.is_dir():
        raise SystemExit(f"shared data not found at {data}")
    rows: list[dict[str, Any]] = []
    for part in args.parts.split(","):
        got = PARTS[part](data, args.repeat)
        for r in got:
            print(json.dumps(r, ensure_ascii=False), flush=True)
        rows += got
    text = _markdown(rows, "python -m benchmarks.bench_text_models --parts " + args.parts)
    print(text)
    if not args.no_append:
        with (ROOT / "BENCHMARKS.md").open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
