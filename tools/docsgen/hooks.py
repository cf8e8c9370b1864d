"""MkDocs hook: expand `<!-- cxloop-reference: NAME -->` markers with reference generated from the code.

Loaded by mkdocs.yml (`hooks:`); MkDocs imports this file by path, so the `docsgen` package is put on the path.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docsgen.generate import REFERENCES

_MARKER = re.compile(r"<!--\s*cxloop-reference:\s*([a-z_]+)\s*-->")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace each marker with its generated Markdown; an unknown name fails the build."""

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in REFERENCES:
            raise ValueError(f"{page.file.src_path}: unknown reference {name!r}; known: {sorted(REFERENCES)}")
        return REFERENCES[name]()

    return _MARKER.sub(expand, markdown)
