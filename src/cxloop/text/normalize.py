"""Text normalisation: full-/half-width folding, whitespace, invisible characters, traditional → simplified.

Everything is a `str.translate` table or one compiled regex, so a batch costs a few microseconds a text.
Emoji are kept as they are (the segmenter turns each into a token). Traditional → simplified conversion
is character-level with the OpenCC `TSCharacters` table (from the pure-Python
`opencc-python-reimplemented` package); phrase-level variants (e.g. 軟體 → 软件) are out of scope.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

__all__ = ["NORMALIZE_VERSION", "Normalizer", "normalize_texts"]

NORMALIZE_VERSION = "norm1"

# Full-width ASCII block U+FF01..U+FF5E -> U+0021..U+007E; ideographic space U+3000 -> space.
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20
# Zero-width and control characters carry no meaning in feedback text; other whitespace becomes a space.
_INVISIBLE = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD])
_SPACES = {code: 0x20 for code in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F)}
_SPACES.update({code: 0x20 for code in range(0x2000, 0x200B)})
# U+200D (zero-width joiner) glues emoji sequences such as 👨‍👩‍👧: keep it.
_BASE_TABLE: dict[int, int | None] = {**_WIDTH, **_INVISIBLE, **_SPACES}
del _BASE_TABLE[0x200D]
_MULTISPACE = re.compile(r" {2,}")


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, int]:
    """Single-character traditional -> simplified map from OpenCC's TSCharacters dictionary."""
    try:
        folder = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
        text = folder.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):  # pragma: no cover - dependency missing
        return {}
    table: dict[int, int] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            target = parts[1].split(" ")[0]
            if len(target) == 1:
                table[ord(parts[0])] = ord(target)
    return table


class Normalizer:
    """Fold width, whitespace and (optionally) traditional characters of many texts at once."""

    version = NORMALIZE_VERSION

    def __init__(self, *, traditional_to_simplified: bool = False) -> None:
        self.traditional_to_simplified = traditional_to_simplified
        table: dict[int, int | None] = dict(_BASE_TABLE)
        if traditional_to_simplified:
            table.update(_t2s_table())
        self._table = table

    def normalize(self, text: str | None) -> str:
        if not text:
            return ""
        out = text.translate(self._table)
        if "  " in out:
            out = _MULTISPACE.sub(" ", out)
        return out.strip()

    def __call__(self, texts: Sequence[str | None]) -> list[str]:
        table, multi = self._table, _MULTISPACE
        out: list[str] = []
        append = out.append
        for text in texts:
            if not text:
                append("")
                continue
            folded = text.translate(table)
            if "  " in folded:
                folded = multi.sub(" ", folded)
            append(folded.strip())
        return out


def normalize_texts(texts: Sequence[str | None], *, traditional_to_simplified: bool = False) -> list[str]:
    """Normalise `texts` (see `Normalizer`); None becomes the empty string."""
    return Normalizer(traditional_to_simplified=traditional_to_simplified)(texts)
