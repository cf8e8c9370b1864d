"""Paraphrase and noise: synonyms, typos, emoji and English fragments.

Noise is applied once per phrase when a bank is built (`expand_bank`: each phrase gets several noisy
variants), and per row by picking a variant, an opener, a closer and an emoji with numpy indices
(`pick`, `concat`), so per-row cost is a few vectorised object-array concatenations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "EMOJI",
    "EN_FRAGMENTS",
    "concat",
    "expand_bank",
    "mix_english",
    "pick",
    "synonym_swap",
    "typo",
]

SYNONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("太", ("特别", "超级", "巨", "实在太")), ("一直", ("总是", "老是", "始终")), ("很", ("挺", "非常", "蛮")),
    ("还没", ("到现在还没", "仍然没")), ("客服", ("客服人员", "售后客服", "在线客服")),
    ("快递", ("物流", "快递小哥")), ("师傅", ("安装师傅", "工程师", "小哥")), ("好几次", ("N次", "无数次")),
    ("半天", ("老半天", "好久")), ("老是", ("总是", "动不动就")), ("说好", ("明明说好", "承诺")),
)
TYPOS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("的", ("滴", "得", "d")), ("什么", ("神马", "啥")), ("怎么", ("肿么", "咋")), ("没有", ("木有", "没油")),
    ("客服", ("kf", "客fu")), ("快递", ("快di", "kd")), ("电话", ("dian话", "电化")), ("真的", ("真滴", "zhen的")),
    ("一直", ("一只", "一值")), ("这个", ("这个个", "zhe个")), ("已经", ("以经", "己经")), ("在", ("再",)),
    ("，", (",", " ", "，，")), ("了", ("le", "啦")), ("不", ("bu",)),
)
EN_WORDS: tuple[tuple[str, str], ...] = (
    ("客服", "customer service"), ("快递", "express"), ("屏幕", "screen"), ("耳机", "earphone"),
    ("手机", "phone"), ("退款", "refund"), ("质量", "quality"), ("电池", "battery"), ("续航", "battery life"),
    ("网速", "speed"), ("师傅", "master"), ("很好用", "very good"), ("掉线", "disconnect"), ("问题", "problem"),
)
EN_FRAGMENTS = ("emmm", "so slow", "what the hell", "nice", "bug", "thx", "pls", "OMG", "OK", "fine",
                "yyds", "good job", "no way", "anyway")
EMOJI = {
    "neg": ("😡", "😤", "🙄", "💔", "😭", "👎", "🤬", "😓"),
    "neu": ("🤔", "🙏", "😅", "❓"),
    "pos": ("👍", "😊", "❤️", "🎉", "💯", "😄", "🌟"),
}


def _replace_one(text: str, table: Sequence[tuple[str, tuple[str, ...]]], rng: np.random.Generator) -> str:
    present = [(src, alts) for src, alts in table if src in text]
    if not present:
        return text
    src, alts = present[int(rng.integers(len(present)))]
    return text.replace(src, alts[int(rng.integers(len(alts)))], 1)


def synonym_swap(text: str, rng: np.random.Generator) -> str:
    """Swap one word for a synonym (a paraphrase that keeps the meaning)."""
    return _replace_one(text, SYNONYMS, rng)


def typo(text: str, rng: np.random.Generator) -> str:
    """One realistic input slip: homophone, pinyin, dropped or doubled punctuation, a repeated char."""
    out = _replace_one(text, TYPOS, rng)
    if out == text and len(text) > 3:
        i = int(rng.integers(1, len(text) - 1))
        out = text[:i] + text[i] + text[i:]  # a doubled character, as from a sticky key
    return out


def mix_english(text: str, rng: np.random.Generator) -> str:
    """Code-switch: an English word for a Chinese one, else an English fragment appended."""
    present = [(zh, en) for zh, en in EN_WORDS if zh in text]
    if present and rng.random() < 0.7:
        zh, en = present[int(rng.integers(len(present)))]
        return text.replace(zh, f" {en} ", 1).replace("  ", " ").strip()
    return f"{text} {EN_FRAGMENTS[int(rng.integers(len(EN_FRAGMENTS)))]}"


def expand_bank(phrases: Sequence[str], rng: np.random.Generator, *, noisy: bool = True) -> list[str]:
    """Each phrase plus paraphrased and noisy variants (deduplicated, order-stable).

    Variant mix per phrase: the phrase, two synonym swaps, a typo, an English code-switch, and a typo of a
    swap. `noisy=False` keeps paraphrases only (agents' formal notes have no pinyin typos or emoji).
    """
    out: list[str] = []
    for p in phrases:
        forms = [p, synonym_swap(p, rng), synonym_swap(p, rng)]
        if noisy:
            forms += [typo(p, rng), mix_english(p, rng), typo(synonym_swap(p, rng), rng)]
        for f in forms:
            if f not in out:
                out.append(f)
    return out


def pick(bank: Sequence[str] | np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Object array of `bank[idx]` (vectorised fancy indexing)."""
    arr = bank if isinstance(bank, np.ndarray) else np.array(list(bank), dtype=object)
    return arr[idx]


def concat(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise string concatenation of object arrays (and scalar strings)."""
    arrays = [p for p in parts if isinstance(p, np.ndarray)]
    n = len(arrays[0]) if arrays else 0
    out = np.full(n, "", dtype=object)
    for p in parts:
        out = out + p
    return out
