"""Text enrichment throughput (per stage, 1 and 2 processes) side by side with SnowNLP, and topic
discovery at scale (1M short texts).

    .venv/bin/python -m benchmarks.bench_text_pipeline [--part pipeline|discovery|all] [--texts 20000]
        [--discovery-texts 1000000] [--repeat 3] [--no-append]

Texts: real short reviews from ../shared/data (waimai_10k and online_shopping_7_cats in Chinese, Amazon
Alexa reviews in English, 9:1), cut to at most 80 characters. Pipeline: the default bulk stages
(normalise, PII, language, jieba, sentiment, emotion, rule topics with aspect sentiment) with the shipped
models, in batches of 2,000; 1 process in-process, then 2 worker processes (`cxloop enrich --jobs 2`'s
pool); median of `--repeat` runs after a warm-up. SnowNLP (pip install 'cxloop[bench]') scores sentiment
and segments a 1,000-text sample. Discovery: `discover_topics` on N texts sampled (with replacement) from
the same pool with random cuts, run in a child process for its peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CXLOOP_SHARED_DATA", ROOT.parent / "shared" / "data"))
BENCH_MD = ROOT / "BENCHMARKS.md"


def load_texts(n: int, seed: int = 0) -> list[str]:
    """n short real reviews (zh:en = 9:1), cut to 80 characters."""
    zh: list[str] = []
    for path, col in ((SHARED / "waimai_10k" / "waimai_10k.csv", "review"),
                      (SHARED / "online_shopping_10_cats" / "online_shopping_7_cats.csv", "review")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            zh += [r[col].strip().lstrip("\ufeff") for r in csv.DictReader(handle) if r.get(col)]
    with (SHARED / "amazon_alexa_reviews" / "amazon_alexa.tsv").open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        en = [r["verified_reviews"].strip() for r in rows if r["verified_reviews"].strip()]
    rng = np.random.default_rng(seed)
    pick_zh = rng.choice(len(zh), size=n - n // 10)
    pick_en = rng.choice(len(en), size=n // 10)
    texts = [zh[i][:80] for i in pick_zh] + [en[i][:80] for i in pick_en]
    rng.shuffle(texts)
    return texts


def _batches(texts: list[str], size: int = 2000) -> list[pa.RecordBatch]:
    out = []
    for start in range(0, len(texts), size):
        chunk = texts[start : start + size]
        ids = [str(start + i) for i in range(len(chunk))]
        out.append(pa.record_batch({"record_id": ids, "row_hash": ids, "text": chunk}))
    return out


def _spec() -> Any:
    from cxloop.text.stages import PipelineSpec
    from cxloop.text.taxonomy import load_default_taxonomy

    return PipelineSpec(taxonomy=tuple(load_default_taxonomy().rows()))


def bench_pipeline(texts: list[str], repeat: int) -> dict[str, Any]:
    from cxloop.app.text_service import _init_worker, _run_batch
    from cxloop.text.pipeline import enrich_batch
    from cxloop.text.stages import build_context

    spec = _spec()
    start = time.perf_counter()
    ctx = build_context(spec)
    init_s = time.perf_counter() - start
    batches = _batches(texts)
    enrich_batch(batches[0], ctx)  # warm-up
    one, cpu, stages = [], [], []
    for _ in range(repeat):
        ctx.timings = dict.fromkeys(ctx.timings, 0.0)
        t, c = time.perf_counter(), time.process_time()
        for b in batches:
            enrich_batch(b, ctx)
        one.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        stages.append(dict(ctx.timings))
    two = []
    with ProcessPoolExecutor(max_workers=2, initializer=_init_worker, initargs=(spec, {})) as pool:
        list(pool.map(_run_batch, batches[:2]))  # warm-up: both workers built
        for _ in range(repeat):
            t = time.perf_counter()
            list(pool.map(_run_batch, batches))
            two.append(time.perf_counter() - t)
    n = len(texts)
    median_stage = {k: statistics.median(s[k] for s in stages) for k in stages[0]}
    return {"n": n, "init_s": init_s, "one_s": statistics.median(one), "two_s": statistics.median(two),
            "cpu_s": statistics.median(cpu),
            "stages": median_stage, "version": ctx.version}


def bench_snownlp(texts: list[str]) -> dict[str, Any] | None:
    try:
        from snownlp import SnowNLP
    except ImportError:
        return None
    sample = [t for t in texts if t][:1000]
    SnowNLP("预热").sentiments  # noqa: B018 - loads its model
    t = time.perf_counter()
    for text in sample:
        SnowNLP(text).sentiments  # noqa: B018
    sent_s = time.perf_counter() - t
    t = time.perf_counter()
    for text in sample:
        SnowNLP(text).words  # noqa: B018
    seg_s = time.perf_counter() - t
    return {"n": len(sample), "sentiment_per_s": len(sample) / sent_s, "words_per_s": len(sample) / seg_s}


def _discovery_child(n: int) -> None:
    from cxloop.text.discovery import discover_topics
    from cxloop.text.language import detect_languages
    from cxloop.text.segment import Segmenter

    pool = load_texts(min(n, 200_000), seed=1)
    rng = np.random.default_rng(2)
    idx = rng.integers(0, len(pool), size=n)
    cut = rng.integers(0, 6, size=n)
    texts = [pool[i][c:] or pool[i] for i, c in zip(idx.tolist(), cut.tolist(), strict=True)]
    segmenter = Segmenter()
    t = time.perf_counter()
    result = discover_topics(texts, tokenizer=lambda b: segmenter(b, detect_languages(b)))
    seconds = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": n, "seconds": seconds, "k": result.k, "rss_mib": rss,
                      "top": [c.label for c in result.proposed[:5]]}, ensure_ascii=False))


def bench_discovery(n: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_text_pipeline", "--discovery-child", str(n)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.platform()} · {os.cpu_count()} cores · {mem:.0f} GiB RAM · "
            f"load avg {os.getloadavg()[0]:.1f} at start")


def report(args: argparse.Namespace, pipe: dict[str, Any] | None, snow: dict[str, Any] | None,
           disc: dict[str, Any] | None) -> str:
    lines = [f"\n## Text pipeline (`benchmarks/bench_text_pipeline.py`, {datetime.now(UTC):%Y-%m-%d %H:%M})\n",
             f"Machine: {_machine()}. Command: `.venv/bin/python -m benchmarks.bench_text_pipeline "
             f"--part {args.part} --texts {args.texts} --discovery-texts {args.discovery_texts} "
             f"--repeat {args.repeat}`. Texts: real short reviews (waimai, online shopping, Amazon Alexa; "
             "zh:en 9:1, <= 80 chars). Target (issue 3): >= 3,000 texts/s end to end on 2 cores.\n"]
    if pipe:
        n = pipe["n"]
        two, one = pipe["two_s"], pipe["one_s"]
        lines += ["| what | texts | median s | texts/s |", "|---|---:|---:|---:|",
                  f"| cxloop bulk pipeline, 2 worker processes | {n} | {two:.2f} | {n / two:,.0f} |",
                  f"| cxloop bulk pipeline, 1 process | {n} | {one:.2f} | {n / one:,.0f} |"]
        for stage, s in pipe["stages"].items():
            lines.append(f"| &nbsp;&nbsp;stage: {stage} (1 process) | {n} | {s:.2f} | {n / s:,.0f} |")
        if snow:
            lines += [f"| SnowNLP sentiment (`SnowNLP(t).sentiments`), 1 process | {snow['n']} | "
                      f"{snow['n'] / snow['sentiment_per_s']:.2f} | {snow['sentiment_per_s']:,.0f} |",
                      f"| SnowNLP segmentation (`SnowNLP(t).words`), 1 process | {snow['n']} | "
                      f"{snow['n'] / snow['words_per_s']:.2f} | {snow['words_per_s']:,.0f} |"]
        lines.append(f"\nCPU time of the 1-process run: {pipe['cpu_s']:.2f} s, i.e. {n / pipe['cpu_s']:,.0f} texts "
                     "per CPU-second (wall-clock figures depend on the machine's other load; two idle cores "
                     f"give about twice that). Pipeline version `{pipe['version']}`; building it "
                     "(jieba + models) takes "
                     f"{pipe['init_s']:.1f} s once per worker.\n")
    if disc:
        lines.append(f"Discovery: `discover_topics` on {disc['n']:,} short texts: {disc['seconds']:.0f} s "
                     f"({disc['n'] / disc['seconds']:,.0f} texts/s), k = {disc['k']} chosen by silhouette, "
                     f"peak RSS {disc['rss_mib']:,.0f} MiB (target: <= 600 s, <= 8 GB). "
                     f"Largest clusters: {', '.join(disc['top'])}.\n")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("pipeline", "discovery", "all"), default="all")
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--discovery-texts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--discovery-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.discovery_child:
        _discovery_child(args.discovery_child)
        return
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} not found: the benchmark reads real texts from ../shared/data")
    pipe = snow = disc = None
    if args.part in ("pipeline", "all"):
        texts = load_texts(args.texts)
        pipe = bench_pipeline(texts, args.repeat)
        snow = bench_snownlp(texts)
    if args.part in ("discovery", "all"):
        disc = bench_discovery(args.discovery_texts)
    text = report(args, pipe, snow, disc)
    print(text)
    if not args.no_append:
        with BENCH_MD.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
