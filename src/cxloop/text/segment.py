"""Word segmentation behind one interface: jieba for Chinese, a regex tokenizer for English.

jieba (prefix-dictionary DAG + dynamic programming; Sun 2012) loads its dictionary in ~1 s, so a
`Segmenter` is built once per worker process and reused. Its own `jieba.Tokenizer` instance (not the
global one) takes the shipped domain dictionary `data/domain_dict.txt` plus the workspace's `dict.txt`.
Tokens keep emoji (each one a token) and drop whitespace and punctuation.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

__all__ = ["SEGMENT_VERSION", "Segmenter", "english_tokens"]

SEGMENT_VERSION = "seg1"

_EN_TOKEN = re.compile(
    r"[a-z0-9]+(?:['’][a-z]+)?|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]",
)
_DROP = re.compile(r"^[\s\W_]+$")
_EMOJI = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")


def english_tokens(text: str) -> list[str]:
    """Lower-cased words, numbers and emoji of an English text."""
    return _EN_TOKEN.findall(text.lower())


def _shipped_dictionary() -> str:
    return (resources.files("cxloop.text") / "data" / "domain_dict.txt").read_text(encoding="utf-8")


class Segmenter:
    """Tokenise texts by language: jieba (with domain words) for zh/mixed, a regex for en/other."""

    def __init__(self, user_dict: Path | None = None, *, hmm: bool = False) -> None:
        import jieba

        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._hmm = hmm
        digest = hashlib.sha256()
        for text in self._dictionaries(user_dict):
            digest.update(text.encode("utf-8"))
            self._load_words(text)
        self.version = f"{SEGMENT_VERSION}-{digest.hexdigest()[:8]}"

    @staticmethod
    def _dictionaries(user_dict: Path | None) -> list[str]:
        texts = [_shipped_dictionary()]
        if user_dict is not None and user_dict.is_file():
            texts.append(user_dict.read_text(encoding="utf-8"))
        return texts

    def _load_words(self, text: str) -> None:
        """jieba user-dictionary lines: `word [freq] [tag]`."""
        for line in text.splitlines():
            parts = line.strip().split()
            if not parts or parts[0].startswith("#"):
                continue
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            self._tokenizer.add_word(parts[0], freq)

    def tokens(self, text: str, language: str = "zh") -> list[str]:
        """Tokens of one text (lower-cased Latin; no whitespace or punctuation; emoji kept)."""
        if not text:
            return []
        if language in ("en", "other"):
            return english_tokens(text)
        out = []
        for token in self._tokenizer.lcut(text, HMM=self._hmm):
            if _DROP.match(token) and not _EMOJI.match(token):
                continue
            out.append(token.lower())
        return out

    def __call__(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> list[list[str]]:
        langs = languages if languages is not None else ["zh"] * len(texts)
        return [self.tokens(t, lang) for t, lang in zip(texts, langs, strict=True)]
