"""Shared fixtures: run the CLI in-process, make workspaces, locate the shared data sets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cxloop.cli.main import main

SHARED_DATA = Path(os.environ.get("CXLOOP_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run `cxloop ARGS...` in this process; return exit code, stdout and stderr."""

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["cxloop", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run


@pytest.fixture
def workspace(tmp_path: Path, cli: Callable[..., CliResult]) -> Path:
    root = tmp_path / "ws"
    result = cli("init", root)
    assert result.code == 0, result.stderr
    return root


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_20k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace built by the real `cxloop demo` (20k records, seed 7), shared by the golden tests and
    (as a copy) the documentation tests: the folder holding `ws/` (the workspace) and `ground_truth.json`."""
    folder = tmp_path_factory.mktemp("demo_20k")
    done = subprocess.run(
        [sys.executable, "-c", "from cxloop.cli.main import main; main()", "demo", str(folder / "ws"),
         "--records", "20000", "--seed", "7"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    return folder
