"""Topic discovery: cluster the texts no topic covers into candidate topics with keyword labels.

Scales to millions of short texts on two cores (LSA + mini-batch k-means):
0. cleaning: addressee handles (@name), URLs, "RT" and HTML entities are removed first — in social posts
   they name whom a text is sent to, not what it is about, and would otherwise be what the clusters split on;
1. features: hashed topic terms — Latin words and Chinese characters outside the stop list plus Chinese
   character bigrams (no segmentation needed) — kept when seen in >= 2 texts and in at most half of them,
   TF-IDF weighted, reduced to 100 dimensions by truncated SVD fitted on a sample and L2-normalised —
   latent semantic analysis (Deerwester et al. 1990); with an encoder (the `embeddings` backend) and
   mostly English texts, sentence embeddings are appended with weight `embedding_weight` (the encoder is
   English-only: on Chinese texts it lowers NMI, so it is not used there);
2. k: mini-batch k-means (Sculley 2010) for each k of a geometric grid on a sample, scored by the
   silhouette coefficient (Rousseeuw 1987, cosine) on a sub-sample; the rule is the *smallest* k whose
   silhouette is within `k_tolerance` (10%) of the best one — silhouette keeps creeping up as clusters
   split, so the parsimonious choice (in the spirit of the one-standard-error rule, Breiman et al. 1984)
   stops where the curve flattens; then all texts are assigned;
3. labels: class-based TF-IDF over each cluster's tokens, W(t,c) = tf(t,c)/|c| * log(1 + A/f(t)) with A the
   average number of tokens per cluster and f(t) the frequency of t over all clusters (Grootendorst 2022,
   "BERTopic: neural topic modeling with a class-based TF-IDF procedure", arXiv:2203.05794);
4. examples: the texts nearest each cluster's centroid.
Clusters below `min_cluster_size` are noise (label -1) and are not proposed.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer, TfidfTransformer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from cxloop.text.features import detect_languages

__all__ = [
    "Cluster",
    "DiscoveryOptions",
    "DiscoveryResult",
    "class_tfidf",
    "clean_texts",
    "discover_topics",
    "load_sentence_encoder",
    "topic_terms",
]

Encoder = Callable[[Sequence[str]], np.ndarray]
RARE_VIEW_MIN_TEXTS = 2_000  # below this every word counts: the character n-gram view is used

_STOP = frozenset(
    (resources.files("cxloop.text") / "data" / "stopwords.txt").read_text(encoding="utf-8").split()
)
_TERM_STOP = _STOP | ENGLISH_STOP_WORDS
_USEFUL = re.compile(r"[\u4e00-\u9fffA-Za-z]")
# Who a post is addressed to and where it links, not what it says: "@united", URLs, "RT", "&amp;".
_SOCIAL_NOISE = r"@\w+|https?://\S+|www\.\S+|&[a-z]+;|\brt\b"
_LATIN_WORD = re.compile(r"[a-z][a-z'’]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


@dataclass(frozen=True)
class DiscoveryOptions:
    k: int | None = None  # None: chosen by silhouette (the smallest k within k_tolerance of the best)
    k_max: int = 80
    k_tolerance: float = 0.1
    embedding_weight: float = 1.0  # weight of the sentence embeddings appended to the LSA features
    min_cluster_size: int | None = None  # None: max(5, 0.2% of the texts)
    n_components: int = 100
    sample_size: int = 8_000  # texts scored per candidate k
    fit_size: int = 200_000  # texts the final k-means is fitted on (then all are assigned)
    n_keywords: int = 8
    n_examples: int = 5
    seed: int = 0
    # Rare-vocabulary view (needs tokens): words in more than this share of the texts (greetings,
    # boilerplate, generic praise) and words seen fewer than 3 times are dropped, and texts left with
    # fewer than 2 words are noise. None (or fewer than 2,000 texts): character n-grams of every text.
    max_df: float | None = None


@dataclass
class Cluster:
    cluster_id: str
    label: str
    keywords: list[str]
    examples: list[str]
    size: int
    cohesion: float  # mean cosine of members to the centroid


@dataclass
class DiscoveryResult:
    labels: np.ndarray  # cluster index per text, -1 = noise
    clusters: list[Cluster]  # indexed like labels; noise clusters left out of `proposed`
    k: int
    silhouette: float | None
    seconds: float
    proposed: list[Cluster] = field(default_factory=list)


def clean_texts(texts: Sequence[str]) -> list[str]:
    """Texts without addressee handles, URLs, "RT" and HTML entities, lower-cased (vectorised)."""
    arr = pc.utf8_lower(pa.array([str(t) for t in texts], type=pa.string()))
    return [str(t) for t in pc.replace_substring_regex(arr, _SOCIAL_NOISE, " ").to_pylist()]


def topic_terms(text: str) -> list[str]:
    """The terms a topic is made of: Latin words and Chinese characters outside the stop lists, and
    Chinese character bigrams (within runs of Chinese characters). `text` is cleaned and lower-case."""
    terms = [w for w in _LATIN_WORD.findall(text) if w not in _TERM_STOP]
    for run in _CJK_RUN.findall(text):
        terms.extend(c for c in run if c not in _TERM_STOP)
        terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return terms


def _prune_df(hashed: sparse.csr_matrix, min_df: int, max_share: float) -> sparse.csr_matrix:
    """Counts of the terms seen in >= min_df texts and in at most `max_share` of them."""
    df = np.bincount(hashed.indices, minlength=hashed.shape[1])
    keep = ((df >= min_df) & (df <= max(min_df, max_share * hashed.shape[0]))).astype(np.float32)
    pruned = (hashed @ sparse.diags(keep)).tocsr()
    pruned.eliminate_zeros()
    return pruned


def _hashed(
    texts: Sequence[str], tokens: Sequence[Sequence[str]] | None, opts: DiscoveryOptions
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Hashed counts and the mask of texts kept (all, unless the rare-vocabulary view drops some)."""
    if opts.max_df is None or tokens is None or len(texts) < RARE_VIEW_MIN_TEXTS:
        hashed = HashingVectorizer(
            analyzer=topic_terms, n_features=2**18, alternate_sign=False, norm=None, dtype=np.float32,
        ).transform(clean_texts(texts))
        return _prune_df(hashed, 2, 0.5), np.ones(len(texts), dtype=bool)
    hashed = HashingVectorizer(
        analyzer=_useful_tokens, n_features=2**18, alternate_sign=False, norm=None, dtype=np.float32
    ).transform(tokens)
    pruned = _prune_df(hashed, 3, opts.max_df)
    rows = np.diff(pruned.indptr) >= 2
    return pruned[rows], rows


def _useful_tokens(tokens: Sequence[str]) -> list[str]:
    return [t for t in tokens if _keep(t)]


def _features(
    texts: Sequence[str], tokens: Sequence[Sequence[str]] | None, opts: DiscoveryOptions,
    encoder: Encoder | None,
) -> tuple[np.ndarray, np.ndarray]:
    hashed, rows = _hashed(texts, tokens, opts)
    if hashed.shape[0] == 0:
        return np.zeros((0, 1), dtype=np.float32), rows
    weighted = TfidfTransformer(sublinear_tf=True).fit_transform(hashed)
    rng = np.random.default_rng(opts.seed)
    n = weighted.shape[0]
    sample = rng.choice(n, size=min(n, 20_000), replace=False)
    components = max(2, min(opts.n_components, n - 1, weighted.shape[1] - 1))
    svd = TruncatedSVD(n_components=components, n_iter=3, random_state=opts.seed)
    svd.fit(weighted[sample])
    reduced = normalize(np.asarray(svd.transform(weighted), dtype=np.float32))
    del weighted, hashed
    if encoder is not None and _mostly_english(texts):
        kept = [t for t, keep in zip(texts, rows, strict=True) if keep]
        embedded = normalize(np.asarray(encoder(clean_texts(kept)), dtype=np.float32))
        reduced = normalize(np.hstack([reduced, opts.embedding_weight * embedded]))
    return reduced, rows


def _mostly_english(texts: Sequence[str]) -> bool:
    """True when at least half of (a sample of) the texts are English: the only language the optional
    encoder (all-MiniLM-L6-v2) was trained on."""
    sample = texts if len(texts) <= 5_000 else [texts[i] for i in range(0, len(texts), len(texts) // 5_000)]
    return bool(np.mean(detect_languages(sample) == "en") >= 0.5) if len(sample) else False


def _k_grid(n: int, k_max: int) -> list[int]:
    top = max(2, min(k_max, n // 5))  # clusters of >= 5 texts on average
    low = min(3, top)
    grid = np.unique(np.round(np.geomspace(low, top, num=min(14, top - low + 1))).astype(int))
    return [int(k) for k in grid if k >= 2]


def _choose_k(x: np.ndarray, opts: DiscoveryOptions) -> tuple[int, float | None]:
    n = x.shape[0]
    if n < 4:
        return 1, None
    rng = np.random.default_rng(opts.seed)
    sample = x[rng.choice(n, size=min(n, opts.sample_size), replace=False)]
    scored = []
    for k in _k_grid(sample.shape[0], opts.k_max):
        km = MiniBatchKMeans(n_clusters=k, n_init=1, batch_size=2048, random_state=opts.seed).fit(sample)
        if len(set(km.labels_)) < 2:
            continue
        score = silhouette_score(sample, km.labels_, sample_size=min(3000, sample.shape[0]),
                                 random_state=opts.seed, metric="cosine")
        scored.append((k, float(score)))
    if not scored:
        return 1, None
    best = max(score for _, score in scored)
    return next((k, score) for k, score in scored if score >= best - opts.k_tolerance * abs(best))


def _assign(x: np.ndarray, k: int, opts: DiscoveryOptions) -> tuple[np.ndarray, np.ndarray]:
    if k <= 1:
        return np.zeros(x.shape[0], dtype=np.int64), normalize(x.mean(axis=0, keepdims=True))
    rng = np.random.default_rng(opts.seed + 1)
    fit_rows = x if x.shape[0] <= opts.fit_size else x[rng.choice(x.shape[0], opts.fit_size, replace=False)]
    km = MiniBatchKMeans(n_clusters=k, n_init=2, batch_size=4096, random_state=opts.seed).fit(fit_rows)
    labels = np.concatenate([km.predict(x[i : i + 200_000]) for i in range(0, x.shape[0], 200_000)])
    return labels.astype(np.int64), normalize(km.cluster_centers_)


def class_tfidf(docs_per_class: Sequence[Sequence[Sequence[str]]], top_n: int = 8) -> list[list[str]]:
    """Top c-TF-IDF terms of each class (Grootendorst 2022), from the token lists of its documents."""
    counts = [Counter(t for doc in docs for t in doc if _keep(t)) for docs in docs_per_class]
    vocab = sorted(set().union(*counts)) if counts else []
    if not vocab:
        return [[] for _ in counts]
    index = {t: i for i, t in enumerate(vocab)}
    rows, cols, vals = [], [], []
    for c, counter in enumerate(counts):
        for term, n in counter.items():
            rows.append(c)
            cols.append(index[term])
            vals.append(n)
    tf = sparse.csr_matrix((vals, (rows, cols)), shape=(len(counts), len(vocab)), dtype=np.float64)
    per_class = np.asarray(tf.sum(axis=1)).ravel()
    freq = np.asarray(tf.sum(axis=0)).ravel()
    avg = per_class.mean()
    idf = np.log1p(avg / freq)
    weights = sparse.diags(1.0 / np.maximum(per_class, 1)) @ tf @ sparse.diags(idf)
    out = []
    for c in range(len(counts)):
        row = weights.getrow(c).toarray().ravel()
        top = np.argsort(-row)[:top_n]
        out.append([vocab[i] for i in top if row[i] > 0])
    return out


def _keep(token: str) -> bool:
    if token in _STOP or not _USEFUL.search(token):
        return False
    return not (len(token) < 2 or (len(token) < 3 and token.isascii()))


def discover_topics(
    texts: Sequence[str],
    *,
    tokens: Sequence[Sequence[str]] | None = None,
    tokenizer: Callable[[Sequence[str]], list[list[str]]] | None = None,
    options: DiscoveryOptions | None = None,
    encoder: Encoder | None = None,
) -> DiscoveryResult:
    """Cluster `texts` into candidate topics (see the module docstring).

    Keyword labels come from `tokens` (the enrichments' tokens) when given, else from `tokenizer` run on
    at most 2,000 texts per cluster.
    """
    opts = options or DiscoveryOptions()
    start = time.perf_counter()
    n = len(texts)
    if n == 0:
        return DiscoveryResult(np.zeros(0, dtype=np.int64), [], 0, None, 0.0)
    x, rows = _features(texts, tokens, opts, encoder)
    kept = np.flatnonzero(rows)
    if kept.size == 0:
        return DiscoveryResult(np.full(n, -1, dtype=np.int64), [], 0, None, time.perf_counter() - start)
    k, silhouette = (opts.k, None) if opts.k else _choose_k(x, opts)
    k = max(1, min(k, kept.size))
    kept_labels, centers = _assign(x, k, opts)
    index = kept.tolist()
    kept_texts = [texts[i] for i in index] if kept.size < n else texts
    kept_tokens = [tokens[i] for i in index] if tokens is not None and kept.size < n else tokens
    background = _background(tokens, rows, opts)
    clusters = _describe(kept_texts, kept_tokens, tokenizer, x, kept_labels, centers, opts, background)
    labels = np.full(n, -1, dtype=np.int64)
    labels[kept] = kept_labels
    min_size = opts.min_cluster_size or max(5, int(0.002 * kept.size))
    small = {i for i, c in enumerate(clusters) if c.size < min_size}
    labels = np.where(np.isin(labels, list(small)), -1, labels) if small else labels
    proposed = sorted((c for i, c in enumerate(clusters) if i not in small), key=lambda c: -c.size)
    return DiscoveryResult(labels, clusters, k, silhouette, time.perf_counter() - start, proposed)


def _background(
    tokens: Sequence[Sequence[str]] | None, rows: np.ndarray, opts: DiscoveryOptions
) -> list[Sequence[str]] | None:
    """Up to 2,000 token lists of the texts the rare-vocabulary view did not cluster."""
    left = np.flatnonzero(~rows)
    if tokens is None or left.size == 0:
        return None
    rng = np.random.default_rng(opts.seed + 3)
    pick = left if left.size <= 2000 else rng.choice(left, 2000, replace=False)
    return [tokens[i] for i in pick.tolist()]


def _describe(
    texts: Sequence[str],
    tokens: Sequence[Sequence[str]] | None,
    tokenizer: Callable[[Sequence[str]], list[list[str]]] | None,
    x: np.ndarray,
    labels: np.ndarray,
    centers: np.ndarray,
    opts: DiscoveryOptions,
    background: list[Sequence[str]] | None = None,
) -> list[Cluster]:
    rng = np.random.default_rng(opts.seed + 2)
    members = [np.flatnonzero(labels == c) for c in range(centers.shape[0])]
    sampled = [(m if m.size <= 2000 else rng.choice(m, 2000, replace=False)).tolist() for m in members]
    docs: list[Sequence[Sequence[str]]]
    if tokens is not None:
        docs = [[tokens[i] for i in idx] for idx in sampled]
    else:
        tokenize = tokenizer or (lambda batch: [t.lower().split() for t in batch])
        docs = [tokenize([texts[i] for i in idx]) if idx else [] for idx in sampled]
    # The texts left out of clustering form one more class, so labels contrast with them too.
    keywords = class_tfidf([*docs, background] if background else docs, opts.n_keywords)
    out: list[Cluster] = []
    for c, idx in enumerate(members):
        sims = x[idx] @ centers[c] if idx.size else np.zeros(0)
        examples: list[str] = []
        for i in idx[np.argsort(-sims)]:
            if texts[i] not in examples:
                examples.append(texts[i])
            if len(examples) >= opts.n_examples:
                break
        words = keywords[c]
        cid = "cand-" + hashlib.sha256("|".join(words[:5] or examples[:1]).encode()).hexdigest()[:8]
        taken = sum(1 for prev in out if prev.cluster_id.split("~")[0] == cid)
        cid = f"{cid}~{taken + 1}" if taken else cid  # two clusters with the same keywords keep two ids
        out.append(Cluster(cid, " / ".join(words[:3]) or "(no keywords)", words, examples, int(idx.size),
                           round(float(sims.mean()), 4) if idx.size else 0.0))
    return out



def load_sentence_encoder() -> Encoder:
    """The optional sentence encoder (`cxloop.text.embeddings`, extra `cxloop[embeddings]`); a clear
    UsageError with the install hint when it is missing. Nothing is downloaded."""
    from cxloop.text.embeddings import SentenceEncoder

    return SentenceEncoder.shared().encode
