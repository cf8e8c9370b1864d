"""Every command of Getting started and the Cookbook runs, in page order, against one fresh demo workspace.

Blocks are marked `<!-- run -->` or `<!-- skip: reason -->` (tools/docsgen/blocks.py). The workspace is a copy
of the 20k-record demo the golden tests build (`demo_20k`), laid out as the pages assume: `demo-ws/` in the
current folder, `ground_truth.json` beside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docsgen.blocks import ShellBlock, shell_blocks

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# The pages whose commands run, in reading order: Getting started, then the cookbook as the nav lists it.
PAGES = [DOCS / "getting_started.md", *sorted((DOCS / "cookbook").glob("*.md"), key=lambda p: p.name)]
PAGES = [p for p in PAGES if not p.name.endswith(".zh.md")]
BLOCKS = [b for page in PAGES for b in shell_blocks(page, DOCS)]


@pytest.fixture(scope="module")
def docs_folder(demo_20k: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    shutil.copytree(demo_20k / "ws", folder / "demo-ws")
    shutil.copy(demo_20k / "ground_truth.json", folder / "ground_truth.json")
    return folder


def test_every_block_is_marked_and_the_chinese_pages_run_the_same_commands() -> None:
    assert [f"{b.page}:{b.line}" for b in BLOCKS if b.mark not in ("run", "skip")] == []
    assert [f"{b.page}:{b.line}" for b in BLOCKS if b.mark == "skip" and not b.reason] == []
    assert sum(b.commands for b in BLOCKS if b.mark == "run") >= 30
    for page in PAGES:
        zh = page.with_name(page.stem + ".zh.md")
        if zh.exists():
            ours = [b.code for b in shell_blocks(page, DOCS) if b.mark == "run"]
            assert [b.code for b in shell_blocks(zh, DOCS) if b.mark == "run"] == ours, zh.name


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.page}:{b.line}" for b in BLOCKS])
def test_documented_commands_run(block: ShellBlock, docs_folder: Path) -> None:
    if block.mark == "skip":
        pytest.skip(block.reason)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "COLUMNS": "120", "CXLOOP_WORKSPACE": ""}
    started = time.perf_counter()
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block.code], cwd=docs_folder, env=env,
                          capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, f"{block.page}:{block.line} ({elapsed:.1f}s)\n{block.code}\n{done.stdout[-3000:]}\n" \
                                 f"{done.stderr[-3000:]}"
