"""A demo workspace built by the real `cxloop demo` command (20k records, seed 7), shared by the golden
tests that read what the demo leaves behind (journeys, the first alerts run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_20k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding `ws/` (the workspace) and `ground_truth.json`."""
    folder = tmp_path_factory.mktemp("demo_20k")
    done = subprocess.run(
        [sys.executable, "-c", "from cxloop.cli.main import main; main()", "demo", str(folder / "ws"),
         "--records", "20000", "--seed", "7"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    return folder
