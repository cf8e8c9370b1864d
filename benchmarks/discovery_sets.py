"""Labelled public sets for judging topic discovery (clustering without labels, NMI against the labels).

Each loader returns (texts, labels) read in place from ../shared/data; none is copied into the repository.
Kinds of label, as the issue asks: complaint/request reasons, intents and aspect categories, zh and en.
Large sets are sampled (fixed seed) to about the size of the independent check (~8k texts).
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

__all__ = ["DISCOVERY_SETS", "load_discovery_set"]

SAMPLE = 8_000
SEED = 0


def _sample(texts: list[str], labels: list[str], n: int = SAMPLE) -> tuple[list[str], list[str]]:
    if len(texts) <= n:
        return texts, labels
    idx = sorted(random.Random(SEED).sample(range(len(texts)), n))
    return [texts[i] for i in idx], [labels[i] for i in idx]


def _car_aspects(data: Path) -> tuple[list[str], list[str]]:
    """BDCI 2018 car-forum opinions with exactly one aspect ("subject"): 10 aspect categories, zh."""
    rows = list(csv.DictReader((data / "BDCI2018_car_opinion" / "train_2.csv").open(encoding="utf-8")))
    per_text = Counter(r["content_id"] for r in rows)
    single = [r for r in rows if per_text[r["content_id"]] == 1]
    return _sample([r["content"] for r in single], [r["subject"] for r in single])


def _banking77(data: Path) -> tuple[list[str], list[str]]:
    """BANKING77 train: 77 online-banking intents, en."""
    rows = list(csv.DictReader((data / "banking77" / "train.csv").open(encoding="utf-8")))
    return _sample([r["text"] for r in rows], [r["category"] for r in rows])


def _clinc150(data: Path) -> tuple[list[str], list[str]]:
    """CLINC150 train, in-scope rows: 150 intents over 10 domains, en."""
    d = json.loads((data / "clinc150" / "data_full.train_val.json").read_text(encoding="utf-8"))
    return _sample([t for t, _ in d["train"]], [y for _, y in d["train"]])


def _bitext(data: Path, column: str) -> tuple[list[str], list[str]]:
    path = data / "bitext_customer_support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    return _sample([r["instruction"] for r in rows], [r[column] for r in rows])


def _smp2019(data: Path) -> tuple[list[str], list[str]]:
    """SMP2019-ECDT NLU train: 29 request domains of a Chinese assistant."""
    rows = json.loads((data / "SMP2019_ECDT_NLU" / "train.json").read_text(encoding="utf-8"))
    return [r["text"] for r in rows], [r["domain"] for r in rows]


def _with_handles(data: Path) -> tuple[list[str], list[str]]:
    """bitext categories, each text addressed to one of six brand handles at random (independent of the
    label) and a third with a link: how posts to support accounts look. Clustering should not split on
    whom a text is addressed to (the failure seen on airline complaint tweets)."""
    texts, labels = _bitext(data, "category")
    rng = random.Random(SEED)
    handles = ["@AcmeAir", "@BlueSkies", "@RedJet", "@NorthFly", "@SunWings", "@AirOcean"]
    out = [f"{rng.choice(handles)} {t}" + (" https://t.co/" + str(rng.randrange(10**6)) if rng.random() < 0.33 else "")
           for t in texts]
    return out, labels


DISCOVERY_SETS: dict[str, tuple[str, Callable[[Path], tuple[list[str], list[str]]]]] = {
    "bitext-category": ("support-request reasons (11 categories), en", lambda d: _bitext(d, "category")),
    "bitext-intent": ("support-request intents (27), en", lambda d: _bitext(d, "intent")),
    "banking77": ("intents (77), en", _banking77),
    "clinc150": ("intents (150), en", _clinc150),
    "car-aspects": ("aspect categories (10), zh", _car_aspects),
    "smp2019": ("assistant request domains (29), zh", _smp2019),
    "bitext-handles": ("support-request reasons (11) addressed to @brands, en (synthetic noise)", _with_handles),
}


def load_discovery_set(name: str, data: Path) -> tuple[list[str], list[str]]:
    return DISCOVERY_SETS[name][1](data)
