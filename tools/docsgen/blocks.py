"""Executable documentation: the marked shell blocks of the guide pages.

Convention: an HTML comment right before a ```bash fence marks it —
`<!-- run -->` (the docs test runs it against a fresh demo workspace `demo-ws`, in page order) or
`<!-- skip: reason -->` (shown, not run: servers, long training, software installs). The comment is invisible
in the rendered page. Every ```bash block of a checked page must carry one of the two marks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_BLOCK = re.compile(r"(?:<!--\s*(run|skip:[^>]*?)\s*-->\s*\n)?```bash[^\n]*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class ShellBlock:
    """One ```bash block: its page, 1-based line, mark ('run', 'skip' or '' for unmarked) and commands."""

    page: str
    line: int
    mark: str
    reason: str
    code: str

    @property
    def commands(self) -> int:
        """Commands in the block: lines that start a command (not continuations, comments or heredoc bodies)."""
        count, heredoc, continued = 0, "", False
        for line in self.code.splitlines():
            stripped = line.strip()
            if heredoc:
                heredoc = "" if stripped == heredoc else heredoc
                continue
            if stripped and not stripped.startswith("#") and not continued:
                count += 1
            if match := re.search(r"<<-?'?([A-Z]+)'?", line):
                heredoc = match.group(1)
            continued = stripped.endswith("\\")
        return count


def shell_blocks(path: Path, root: Path) -> list[ShellBlock]:
    """The ```bash blocks of one page, in order."""
    text = path.read_text(encoding="utf-8")
    out = []
    for match in _BLOCK.finditer(text):
        mark = (match.group(1) or "").strip()
        kind, _, reason = mark.partition(":")
        out.append(ShellBlock(str(path.relative_to(root)), text.count("\n", 0, match.start()) + 1, kind,
                              reason.strip(), match.group(2)))
    return out
