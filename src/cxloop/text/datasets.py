"""Labelled text files for evaluation and training: CSV, TSV or JSONL, detected by extension and content.

`read_labelled` adapts other layouts with a text column, a label column, an optional second text column
(pairs) and a label map (`0=neg,1=pos`), so public data sets can be read in place. `shared_data_dir`
locates the read-only public data (`$CXLOOP_SHARED_DATA`, else `shared/data` beside the repository).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxloop.errors import InputError, UsageError

__all__ = [
    "LabelledTexts",
    "detect_layout",
    "parse_label_map",
    "read_labelled",
    "read_rows",
    "shared_data_dir",
]


@dataclass(frozen=True)
class LabelledTexts:
    """Texts (and optional second texts of pairs) with their gold labels as strings."""

    texts: list[str]
    labels: np.ndarray
    texts_b: list[str] | None = None

    def __len__(self) -> int:
        return len(self.texts)


def shared_data_dir() -> Path:
    """`$CXLOOP_SHARED_DATA`, else the sibling `shared/data` of the repository root (may not exist)."""
    env = os.environ.get("CXLOOP_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def parse_label_map(spec: str | None) -> dict[str, str]:
    """`0=neg,1=pos` -> {'0': 'neg', '1': 'pos'}; UsageError on a malformed item."""
    if not spec:
        return {}
    out: dict[str, str] = {}
    for item in spec.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"--label-map item {item!r} is not FROM=TO; e.g. --label-map 0=neg,1=pos")
        out[key.strip()] = value.strip()
    return out


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", file=str(path)) from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path} is neither UTF-8 nor GB18030 text", file=str(path))


def detect_layout(path: Path, head: str) -> str:
    """'jsonl', 'tsv' or 'csv': by extension first, then by the first non-empty line."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    first = next((line for line in head.splitlines() if line.strip()), "")
    tabs, commas = first.count("\t"), first.count(",")
    # The extension decides unless the header contradicts it (e.g. a comma-separated file named .tsv).
    if suffix == ".tsv":
        return "csv" if tabs == 0 and commas > 0 else "tsv"
    if suffix == ".csv":
        return "tsv" if commas == 0 and tabs > 0 else "csv"
    if first.lstrip().startswith("{"):
        return "jsonl"
    return "tsv" if tabs >= max(1, commas) else "csv"


def read_rows(path: Path) -> pd.DataFrame:
    """All rows of a CSV/TSV/JSONL file as strings (empty cells as '')."""
    text = _read_text(path)
    layout = detect_layout(path, text[:4096])
    if layout == "jsonl":
        records = []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}: line {i} is not JSON: {exc.msg}", file=str(path), row=i) from exc
            if not isinstance(obj, dict):
                raise InputError(f"{path}: line {i} is not a JSON object", file=str(path), row=i)
            records.append(obj)
        frame = pd.DataFrame.from_records(records)
        return frame.astype(object).where(frame.notna(), "").astype(str)
    from io import StringIO

    sep = "\t" if layout == "tsv" else ","
    quoting = csv.QUOTE_NONE if layout == "tsv" else csv.QUOTE_MINIMAL
    try:
        return pd.read_csv(
            StringIO(text), sep=sep, dtype=str, keep_default_na=False, quoting=quoting, on_bad_lines="error"
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"{path}: not a valid {layout.upper()} file: {exc}", file=str(path)) from exc


def _column(frame: pd.DataFrame, name: str, path: Path, option: str) -> list[str]:
    if name not in frame.columns:
        columns = ", ".join(map(str, frame.columns)) or "(none)"
        raise InputError(
            f"{path}: column '{name}' not found ({option}); columns are: {columns}", file=str(path), field=name
        )
    return [str(v) for v in frame[name].tolist()]


def read_labelled(
    path: Path,
    *,
    text_col: str = "text",
    label_col: str | None = "label",
    text_col_b: str | None = None,
    label_map: dict[str, str] | None = None,
) -> LabelledTexts:
    """Read texts, optional second texts and labels (mapped through `label_map`) from one file."""
    frame = read_rows(path)
    if frame.empty:
        raise InputError(f"{path}: no rows", file=str(path))
    texts = _column(frame, text_col, path, "--text-col")
    texts_b = _column(frame, text_col_b, path, "--text-col-b") if text_col_b else None
    labels: Sequence[str] = _column(frame, label_col, path, "--label-col") if label_col else [""] * len(texts)
    mapping = label_map or {}
    mapped = np.array([mapping.get(v.strip(), v.strip()) for v in labels], dtype=object)
    return LabelledTexts(texts=texts, labels=mapped, texts_b=texts_b)


# --- public corpora in the shared data folder (read in place, never copied) -------------------------------

#: NLPCC 2013 Weibo emotion labels onto the 7 cxloop emotions ('like' and 'happiness' are both joy).
NLPCC2013_EMOTION_MAP = {
    "none": "neutral",
    "like": "joy",
    "happiness": "joy",
    "disgust": "disgust",
    "sadness": "sadness",
    "anger": "anger",
    "surprise": "surprise",
    "fear": "fear",
}
#: SMP2020-EWECT labels onto the 7 ('neural' is the data set's spelling of neutral; it has no disgust).
SMP2020_EMOTION_MAP = {
    "happy": "joy",
    "neural": "neutral",
    "angry": "anger",
    "sad": "sadness",
    "fear": "fear",
    "surprise": "surprise",
}


def _need(path: Path) -> Path:
    if not path.is_file():
        raise InputError(f"training data {path} not found; pass --data-dir with the shared data", file=str(path))
    return path


def load_chnsenticorp(data_dir: Path, split: str) -> LabelledTexts:
    """ChnSentiCorp `train` or `dev` (TSV label, text_a; 1 = pos)."""
    return read_labelled(
        _need(data_dir / "ChnSentiCorp" / f"{split}.tsv"), text_col="text_a", label_map={"0": "neg", "1": "pos"}
    )


def load_online_shopping(data_dir: Path) -> LabelledTexts:
    """online_shopping_7_cats (the categories that do not contain ChnSentiCorp reviews); empty rows dropped."""
    data = read_labelled(
        _need(data_dir / "online_shopping_10_cats" / "online_shopping_7_cats.csv"),
        text_col="review",
        label_map={"0": "neg", "1": "pos"},
    )
    keep = [i for i, t in enumerate(data.texts) if t.strip()]
    return LabelledTexts([data.texts[i].lstrip("\ufeff") for i in keep], data.labels[keep])


def load_amazon_alexa(data_dir: Path) -> LabelledTexts:
    """Amazon Alexa reviews: 1-2 stars neg, 4-5 pos; 3-star and empty reviews dropped."""
    data = read_labelled(
        _need(data_dir / "amazon_alexa_reviews" / "amazon_alexa.tsv"),
        text_col="verified_reviews",
        label_col="rating",
        label_map={"1": "neg", "2": "neg", "4": "pos", "5": "pos"},
    )
    keep = [i for i, (t, y) in enumerate(zip(data.texts, data.labels, strict=True)) if t.strip() and y != "3"]
    return LabelledTexts([data.texts[i] for i in keep], data.labels[keep])


def load_zh_emotion(data_dir: Path) -> LabelledTexts:
    """NLPCC 2013 Weibo emotion + SMP2020-EWECT virus train, mapped onto the 7 emotions."""
    nlpcc = read_labelled(
        _need(data_dir / "NLPCC2013_weibo_emotion" / "Nlpcc2013Train.tsv"),
        text_col="文本",
        label_col="标签",
        label_map=NLPCC2013_EMOTION_MAP,
    )
    path = _need(data_dir / "SMP2020_EWECT_virus" / "virus_train.txt")
    try:
        records = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not a JSON array: {exc.msg}", file=str(path)) from exc
    smp_texts = [str(r["content"]) for r in records]
    smp_labels = [SMP2020_EMOTION_MAP.get(str(r["label"]), str(r["label"])) for r in records]
    texts = [*nlpcc.texts, *smp_texts]
    labels = np.array([*nlpcc.labels, *smp_labels], dtype=object)
    keep = [i for i, t in enumerate(texts) if t.strip()]
    return LabelledTexts([texts[i] for i in keep], labels[keep])
