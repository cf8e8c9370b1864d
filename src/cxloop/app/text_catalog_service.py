"""The workspace's text catalogues: taxonomy topics, standard questions (FAQ) and discovered topic
candidates, plus `eval discover`.

`suggest_topics` clusters the enriched texts no topic covers (their redacted text and tokens) and stores
the clusters as `topic_candidates` (with `llm=True` an OpenAI-compatible endpoint names and summarises
them: `app.llm_service`); `accept_topic` turns one into a taxonomy topic (origin "discovered", keywords
from its c-TF-IDF label, names given or the model's) so the next `enrich` tags it.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from cxloop.app.lake import require_local
from cxloop.app.llm_service import NamedCandidate, llm_settings, name_candidates
from cxloop.app.text_service import load_taxonomy, store_topics, sync_taxonomy
from cxloop.app.workspace import Workspace
from cxloop.errors import Conflict, InputError, NotFound, UsageError
from cxloop.store import registered, transaction
from cxloop.text.discovery import DiscoveryOptions, Encoder, discover_topics, load_sentence_encoder
from cxloop.text.faq import FaqEntry, FaqMatcher, read_faq_file
from cxloop.text.normalize import Normalizer
from cxloop.text.stages import BACKENDS, make_matcher
from cxloop.text.taxonomy import Topic, read_taxonomy_file

__all__ = [
    "EMBEDDINGS_AUTO_MAX",
    "accept_topic",
    "eval_discover",
    "import_faq",
    "import_topics",
    "list_faq",
    "list_topics",
    "match_faq",
    "suggest_topics",
]

EMBEDDINGS_AUTO_MAX = 20_000  # 'auto' embeds at most this many texts (~380/s on 2 cores); TF-IDF beyond
_FAQ_COLUMNS = ("faq_id", "question", "variants", "answer", "product")


# -- taxonomy -----------------------------------------------------------------------------------------
def list_topics(ws: Workspace) -> list[dict[str, Any]]:
    """Every taxonomy topic with the number of records it is the primary topic of."""
    sync_taxonomy(ws)
    counts = dict(ws.con.execute(
        "SELECT topic_id, count(*) FROM enrichments WHERE topic_id IS NOT NULL GROUP BY 1"
    ).fetchall())
    return [{**t.to_dict(), "records": int(counts.get(t.topic_id, 0))} for t in load_taxonomy(ws).topics]


def import_topics(ws: Workspace, path: Path) -> dict[str, Any]:
    """Add or replace topics from a TOML/JSON/CSV file (origin "workspace")."""
    current = sync_taxonomy(ws)
    topics = read_taxonomy_file(path, origin="workspace")
    merged = current.merged(topics)
    store_topics(ws, [t.to_dict() for t in topics])
    return {"imported": len(topics), "topics": len(merged), "file": str(path)}


def _encoder(backend: str, n: int) -> Encoder | None:
    if backend not in BACKENDS:
        raise UsageError(f"--backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "embeddings":
        return load_sentence_encoder()
    if backend == "auto" and n <= EMBEDDINGS_AUTO_MAX:
        try:
            return load_sentence_encoder()
        except UsageError:
            return None
    return None


def suggest_topics(
    ws: Workspace,
    *,
    backend: str = "tfidf",
    k: int | None = None,
    min_cluster_size: int | None = None,
    max_df: float | None = 0.01,
    seed: int = 0,
    llm: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC).replace(tzinfo=None),
) -> dict[str, Any]:
    """Cluster the uncovered enriched texts into candidate topics and store them (named by the LLM
    endpoint of `[text.llm]` when `llm`).

    By default the rare-vocabulary view (`max_df` 1%): words most uncovered texts share (greetings,
    agents' boilerplate, generic praise) say nothing about a new issue, so they are dropped and texts
    with too little left are not clustered; `max_df=None` clusters every text on character n-grams.
    """
    require_local(ws, "topics suggest")
    rows = ws.con.sql(
        "SELECT record_id, text_redacted, tokens FROM enrichments "
        "WHERE topic_id IS NULL AND text_redacted IS NOT NULL AND length(trim(text_redacted)) > 0 "
        "ORDER BY record_id"
    ).to_arrow_table()
    n = rows.num_rows
    notes: list[str] = []
    if n < 20:
        notes.append(f"only {n} enriched texts have no topic; run 'cxloop enrich' first or add data")
        return {"uncovered": n, "k": 0, "candidates": [], "notes": notes}
    texts = rows.column("text_redacted").to_pylist()
    tokens = [t or [] for t in rows.column("tokens").to_pylist()]
    options = DiscoveryOptions(k=k, min_cluster_size=min_cluster_size, seed=seed, max_df=max_df)
    result = discover_topics(texts, tokens=tokens, options=options, encoder=_encoder(backend, n))
    accepted = {r[0] for r in ws.con.execute(
        "SELECT cluster_id FROM topic_candidates WHERE accepted_as IS NOT NULL").fetchall()}
    proposed = [c for c in result.proposed if c.cluster_id not in accepted]
    _store_candidates(ws, proposed, clock())
    valid = {c.cluster_id for c in result.proposed}
    cluster_ids = [result.clusters[i].cluster_id if i >= 0 and result.clusters[i].cluster_id in valid
                   else None for i in result.labels.tolist()]
    _store_cluster_ids(ws, rows.column("record_id"), cluster_ids)
    candidates = [
        {"cluster_id": c.cluster_id, "label": c.label, "size": c.size, "cohesion": c.cohesion,
         "keywords": c.keywords, "examples": c.examples, "name_zh": None, "name_en": None, "summary": None}
        for c in proposed
    ]
    if llm and candidates:
        named, llm_notes = name_candidates(ws, candidates)
        _store_names(ws, named, llm_settings(ws).model)
        by_id = {c.cluster_id: c.name for c in named}
        for c in candidates:
            if c["cluster_id"] in by_id:
                c.update(by_id[c["cluster_id"]].model_dump())
        notes += llm_notes
    return {
        "uncovered": n,
        "clustered": int((result.labels >= 0).sum()),
        "k": result.k,
        "silhouette": result.silhouette,
        "seconds": round(result.seconds, 3),
        "candidates": candidates,
        "notes": notes,
    }


def _store_names(ws: Workspace, named: Sequence[NamedCandidate], model: str) -> None:
    with transaction(ws.con):
        for c in named:
            ws.con.execute(
                "UPDATE topic_candidates SET name_zh = ?, name_en = ?, summary = ?, named_by = ? WHERE cluster_id = ?",
                [c.name.name_zh, c.name.name_en, c.name.summary, model, c.cluster_id],
            )


def _store_candidates(ws: Workspace, clusters: Sequence[Any], now: datetime) -> None:
    with transaction(ws.con):
        ws.con.execute("DELETE FROM topic_candidates WHERE accepted_as IS NULL")
        for c in clusters:
            ws.con.execute(
                "INSERT OR IGNORE INTO topic_candidates (cluster_id, label, keywords, examples, size, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [c.cluster_id, c.label, c.keywords, c.examples, c.size, now],
            )


def _store_cluster_ids(ws: Workspace, record_ids: pa.ChunkedArray, cluster_ids: list[str | None]) -> None:
    table = pa.table({"record_id": record_ids, "cluster_id": pa.array(cluster_ids, pa.string())})
    with registered(ws.con, "_cx_clusters", table):
        ws.con.execute("UPDATE enrichments SET cluster_id = NULL WHERE cluster_id IS NOT NULL")
        ws.con.execute(
            "UPDATE enrichments SET cluster_id = c.cluster_id FROM _cx_clusters c "
            "WHERE enrichments.record_id = c.record_id AND c.cluster_id IS NOT NULL"
        )


def accept_topic(
    ws: Workspace,
    cluster_id: str,
    *,
    name_zh: str | None = None,
    name_en: str | None = None,
    owner: str | None = None,
    parent_id: str | None = None,
    topic_id: str | None = None,
    keywords: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Make candidate `cluster_id` a taxonomy topic (origin "discovered") tagged from the next enrich on.

    Names not given are the ones the LLM endpoint proposed (`suggest_topics(llm=True)`), if any."""
    require_local(ws, "topics accept")
    found = ws.con.execute(
        "SELECT keywords, examples, accepted_as, name_zh, name_en FROM topic_candidates WHERE cluster_id = ?",
        [cluster_id],
    ).fetchall()
    if not found:
        raise NotFound(f"no topic candidate {cluster_id!r}; list them with 'cxloop topics suggest'")
    cand_keywords, examples, accepted_as, proposed_zh, proposed_en = found[0]
    name_zh, name_en = name_zh or proposed_zh, name_en or proposed_en
    if not name_zh or not name_en:
        raise UsageError("give the new topic's names with --name-zh and --name-en (or let 'cxloop topics "
                         "suggest --llm' propose them)", field="name_zh" if not name_zh else "name_en")
    if accepted_as:
        raise Conflict(f"candidate {cluster_id} was already accepted as topic {accepted_as!r}")
    chosen = [k for k in (keywords or (cand_keywords or [])[:5]) if k.strip()]
    if not chosen:
        raise UsageError("the candidate has no keywords; give them with --keyword")
    new_id = topic_id or (f"{parent_id}." if parent_id else "discovered.") + cluster_id.removeprefix("cand-")
    topic = Topic(topic_id=new_id, name_zh=name_zh, name_en=name_en, parent_id=parent_id,
                  keywords=tuple(chosen), owner_department=owner, examples=tuple((examples or [])[:3]),
                  origin="discovered")
    taxonomy = sync_taxonomy(ws)
    if new_id in taxonomy:
        raise Conflict(f"topic {new_id!r} already exists; choose another --topic-id")
    taxonomy.merged([topic])  # checks the parent exists
    store_topics(ws, [topic.to_dict()])
    ws.con.execute("UPDATE topic_candidates SET accepted_as = ? WHERE cluster_id = ?", [new_id, cluster_id])
    return {**topic.to_dict(), "cluster_id": cluster_id,
            "notes": ["run 'cxloop enrich' to tag records with the new topic"]}


# -- FAQ ----------------------------------------------------------------------------------------------
def import_faq(ws: Workspace, path: Path, *, replace: bool = False) -> dict[str, Any]:
    """Load standard questions from CSV/TSV/JSONL; existing ids are replaced (all of them with replace)."""
    entries = read_faq_file(path)
    table = pa.Table.from_pylist(
        [e.to_dict() for e in entries],
        schema=pa.schema([(c, pa.list_(pa.string()) if c == "variants" else pa.string()) for c in _FAQ_COLUMNS]),
    )
    cols = ", ".join(_FAQ_COLUMNS)
    with registered(ws.con, "_cx_faq", table), transaction(ws.con):
        ws.con.execute("DELETE FROM faq" if replace else "DELETE FROM faq WHERE faq_id IN (SELECT faq_id FROM _cx_faq)")
        ws.con.execute(f"INSERT INTO faq ({cols}) SELECT {cols} FROM _cx_faq")
    total = ws.con.execute("SELECT count(*) FROM faq").fetchall()[0][0]
    return {"imported": len(entries), "faq": int(total), "file": str(path)}


def list_faq(ws: Workspace) -> list[dict[str, Any]]:
    rows = ws.con.execute(f"SELECT {', '.join(_FAQ_COLUMNS)} FROM faq ORDER BY faq_id").fetchall()
    return [dict(zip(_FAQ_COLUMNS, r, strict=True)) for r in rows]


def match_faq(ws: Workspace, texts: Sequence[str], *, k: int = 3, backend: str = "auto") -> list[dict[str, Any]]:
    """Top-k standard questions for each text, with the calibrated no-match decision on the top-1."""
    entries = [FaqEntry(**{**r, "variants": tuple(r["variants"] or ())}) for r in list_faq(ws)]
    if backend not in BACKENDS:
        raise UsageError(f"--backend {backend!r} is not one of {', '.join(BACKENDS)}")
    matcher = FaqMatcher(entries, make_matcher(backend))
    questions = {e.faq_id: e.question for e in entries}
    out = []
    for text, m in zip(texts, matcher.match(Normalizer()(texts), k=k), strict=True):
        out.append({"text": text, "faq_id": m.faq_id, "score": m.score,
                    "question": questions.get(m.faq_id) if m.faq_id else None,
                    "candidates": [{"faq_id": f, "score": round(s, 4)} for f, s in m.candidates],
                    "threshold": matcher.threshold})
    return out


# -- evaluation ---------------------------------------------------------------------------------------
def _parse_label_map(spec: str | None) -> dict[str, str]:
    if not spec:
        return {}
    pairs = [p.split("=", 1) for p in spec.split(",") if p.strip()]
    if any(len(p) != 2 for p in pairs):
        raise UsageError(f"--label-map {spec!r}: write it as 0=neg,1=pos")
    return {a.strip(): b.strip() for a, b in pairs}


def read_labelled(path: Path, text_col: str, label_col: str, label_map: str | None = None
                  ) -> tuple[list[str], list[str]]:
    """Texts and labels from a CSV, TSV or JSONL file."""
    if not path.is_file():
        raise InputError(f"data file {path} not found", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    elif suffix == ".json":  # a JSON array of objects
        rows = json.loads(path.read_text(encoding="utf-8"))
    elif suffix in (".csv", ".tsv", ".txt"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="," if suffix == ".csv" else "\t"))
    else:
        raise InputError(f"{path}: data files are .csv, .tsv, .jsonl or .json", file=str(path))
    if not rows:
        raise InputError(f"{path} holds no rows", file=str(path))
    for col in (text_col, label_col):
        if col not in rows[0]:
            raise InputError(f"column {col!r} not found in {path.name}; columns are: {', '.join(rows[0])}",
                             file=str(path), field=col)
    mapping = _parse_label_map(label_map)
    keep = [r for r in rows if r.get(text_col) not in (None, "")]
    return [str(r[text_col]) for r in keep], [mapping.get(str(r[label_col]), str(r[label_col])) for r in keep]


def eval_discover(path: Path, *, text_col: str = "text", label_col: str = "label",
                  label_map: str | None = None, backend: str = "auto", seed: int = 0) -> dict[str, Any]:
    """Cluster the texts without their labels (the product picks k) and compare with the gold labels; the
    NMI's 95% interval is a bootstrap over the texts (500 resamples of the one clustering)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from cxloop.text.language import detect_languages
    from cxloop.text.segment import Segmenter

    texts, gold = read_labelled(path, text_col, label_col, label_map)
    segmenter = Segmenter()
    encoder = _encoder(backend, len(texts))
    start = time.perf_counter()
    result = discover_topics(
        texts,
        tokenizer=lambda batch: segmenter(batch, detect_languages(batch)),
        options=DiscoveryOptions(min_cluster_size=1, seed=seed),
        encoder=encoder,
    )
    seconds = time.perf_counter() - start
    labels = np.asarray(result.labels)
    gold_arr = np.asarray(gold, dtype=object)
    rng = np.random.default_rng(seed)
    boots = [normalized_mutual_info_score(gold_arr[i], labels[i])
             for i in (rng.integers(0, len(texts), len(texts)) for _ in range(500))]
    return {
        "task": "discover",
        "data": str(path),
        "n": len(texts),
        "n_clusters": len(set(labels.tolist())),
        "k_rule": "given" if result.silhouette is None else "smallest k within 10% of the best silhouette",
        "encoder": encoder is not None,
        "nmi": round(float(normalized_mutual_info_score(gold, labels)), 4),
        "nmi_ci95": [round(float(v), 4) for v in np.percentile(boots, [2.5, 97.5])],
        "ari": round(float(adjusted_rand_score(gold, labels)), 4),
        "docs_per_s": round(len(texts) / seconds, 1) if seconds > 0 else None,
    }
