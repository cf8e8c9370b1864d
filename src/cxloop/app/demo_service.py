"""`cxloop demo`: build a demo workspace — generate the exports, write their profiles, ingest, summarise.

The summary is a list of named sections, each a function of the open workspace returning JSON-able data
(`SummarySection`); later analyses (enrichment, metrics, pain points, journeys) are added by appending a
section to `DEFAULT_SECTIONS` or passing `sections=`. A section that raises a cxloop error is reported as
`{"error": message}` and the demo still finishes.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxloop.app.workspace import Workspace
from cxloop.config import CONFIG_FILE
from cxloop.demo.generator import MIN_RECORDS, DemoResult, generate_demo
from cxloop.demo.writer import render_sources_toml
from cxloop.errors import CxloopError, UsageError, WorkspaceError

__all__ = [
    "DEFAULT_SECTIONS",
    "GROUND_TRUTH_FILE",
    "SummarySection",
    "build_demo",
    "ground_truth_path",
    "next_steps",
    "summarize",
]

GROUND_TRUTH_FILE = "ground_truth.json"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class SummarySection:
    """One part of the demo summary: a name and how to compute it on the open workspace."""

    name: str
    compute: Callable[[Workspace], Any]


def ground_truth_path(root: Path) -> Path:
    """Beside, not inside, the workspace: analytics run on the workspace must not see it."""
    return root.parent / GROUND_TRUTH_FILE


def next_steps(root: Path) -> list[str]:
    """Command lines to inspect and serve the demo workspace (a planted repeat caller as the example)."""
    ws = str(root)
    example = "13800000000"
    truth = ground_truth_path(root)
    if truth.is_file():
        repeaters = json.loads(truth.read_text(encoding="utf-8")).get("repeat_contacts") or [{}]
        example = repeaters[0].get("phone", example)
    return [
        f"cxloop status --workspace {ws}",
        f"cxloop rejects --workspace {ws} --batch last",
        f"cxloop customers show {example} --workspace {ws}",
        f"cxloop customers timeline {example} --workspace {ws}",
        f"cxloop metrics nps --by month,channel --workspace {ws}",
        f"cxloop painpoints --since all --workspace {ws}",
        f"cxloop journeys worst --workspace {ws}",
        f"cxloop topics suggest --workspace {ws}",
        f"cxloop holds list --workspace {ws}",
        f"cxloop cases list --status open --workspace {ws}",
        f"cxloop alerts list --status open --workspace {ws}",
        f"cxloop serve --workspace {ws}    # REST API on http://127.0.0.1:8600 (docs at /docs)",
        f"cat {ground_truth_path(root)}",
    ]


def _analysis_sections() -> tuple[SummarySection, ...]:
    from cxloop.app.demo_analysis import ANALYSIS_SECTIONS  # heavy imports (models, Ibis) only when used

    return tuple(SummarySection(name, compute) for name, compute in ANALYSIS_SECTIONS)


DEFAULT_SECTIONS: tuple[SummarySection, ...] = (
    SummarySection("status", lambda ws: ws.status()),
    SummarySection("next_steps", lambda ws: next_steps(ws.root)),
)


def summarize(ws: Workspace, sections: Sequence[SummarySection] = DEFAULT_SECTIONS,
              progress: Progress | None = None) -> dict[str, Any]:
    """Run each section; a section's cxloop error becomes its result instead of ending the demo."""
    out: dict[str, Any] = {}
    for section in sections:
        if progress is not None:
            progress(f"analysing: {section.name}")
        try:
            out[section.name] = section.compute(ws)
        except CxloopError as exc:
            out[section.name] = {"error": exc.message}
    return out


def _prepare(root: Path, force: bool) -> None:
    """Refuse to overwrite an existing folder unless `force` and it is a workspace (then remove it)."""
    if not root.exists():
        return
    if not any(root.iterdir()):
        root.rmdir()
        return
    if not force:
        raise WorkspaceError(f"{root} already exists; pass --force to replace the demo workspace", file=str(root))
    if not (root / CONFIG_FILE).is_file():
        raise WorkspaceError(f"{root} is not empty and not a cxloop workspace; refusing to delete it", file=str(root))
    shutil.rmtree(root)


def _write_profiles(root: Path, result: DemoResult) -> None:
    """Append the sources' profiles to cxloop.toml and list every channel the demo uses."""
    config = root / CONFIG_FILE
    text = config.read_text(encoding="utf-8")
    channels = sorted({p["channel"] for p in result.profiles.values()} | {"hotline", "chat", "app", "survey"})
    match = re.search(r"^channels = \[(.*?)\]", text, flags=re.S | re.M)
    if match:
        present = re.findall(r'"([^"]+)"', match.group(1))
        merged = present + [c for c in channels if c not in present]
        text = text[: match.start()] + "channels = " + json.dumps(merged, ensure_ascii=False) + text[match.end():]
    header = "\n# Sources of the cxloop demo (generated by `cxloop demo`); files are in ./imports/\n"
    config.write_text(text + header + render_sources_toml(result.profiles), encoding="utf-8")


def _ingest_all(root: Path, result: DemoResult, progress: Progress) -> dict[str, dict[str, Any]]:
    from cxloop.app.ingest_service import ingest  # the lead's ingest; imported late to keep the demo light

    out: dict[str, dict[str, Any]] = {}
    with Workspace.open(root) as ws:
        for i, (source, path) in enumerate(result.files.items(), 1):
            progress(f"ingesting {path.name} as {source} ({i}/{len(result.files)})")
            out[source] = ingest(ws, path, source=source)
    return out


def build_demo(root: Path, *, records: int, seed: int, force: bool = False, ingest_files: bool = True,
               sections: Sequence[SummarySection] = DEFAULT_SECTIONS,
               progress: Progress | None = None) -> dict[str, Any]:
    """Create the demo workspace at `root`; write the ground truth beside it; return the summary."""
    say = progress or (lambda _msg: None)
    if records < MIN_RECORDS:
        raise UsageError(f"--records must be at least {MIN_RECORDS} (got {records})")
    root = root.expanduser().resolve()
    _prepare(root, force)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    Workspace.init(root).close()
    say(f"generating {records:,} records (seed {seed})")
    result = generate_demo(root / "imports", records=records, seed=seed)
    timings["generate_s"] = round(time.perf_counter() - t0, 2)
    _write_profiles(root, result)
    truth_file = ground_truth_path(root)
    truth_file.write_text(json.dumps(result.truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    ingested: dict[str, dict[str, Any]] = {}
    if ingest_files:
        t1 = time.perf_counter()
        ingested = _ingest_all(root, result, say)
        timings["ingest_s"] = round(time.perf_counter() - t1, 2)
    if ingest_files and sections is DEFAULT_SECTIONS:
        sections = (*DEFAULT_SECTIONS[:1], *_analysis_sections(), *DEFAULT_SECTIONS[1:])
    with Workspace.open(root) as ws:
        summary = summarize(ws, sections, say)
    return {
        "workspace": str(root), "ground_truth": str(truth_file), "seed": seed, "records": records,
        "files": {s: {"file": str(p.relative_to(root)), "rows": result.counts[s]["rows"],
                      "expected_rejects": result.counts[s]["expected_rejects"]} for s, p in result.files.items()},
        "ingest": ingested, "timings": timings, "summary": summary,
    }
