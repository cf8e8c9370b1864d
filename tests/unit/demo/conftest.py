"""Demo data sets generated once per seed for the demo tests (small: 4,000 records)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from cxloop.demo.generator import DemoResult, generate_demo

SEEDS = (7, 11)
RECORDS = 4000


@pytest.fixture(scope="session", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    """A generated demo (files in a temp folder) for each of two seeds."""
    folder = tmp_path_factory.mktemp(f"demo{request.param}") / "imports"
    result = generate_demo(folder, records=RECORDS, seed=request.param)
    # The truth must survive a JSON round trip (it is written as ground_truth.json).
    result.truth = json.loads(json.dumps(result.truth, ensure_ascii=False))
    return result


def read_export(path: Path, encoding: str) -> pd.DataFrame:
    """An export as strings (empty cells as ""), read independently of cxloop's own connectors."""
    if path.suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        frame = pd.DataFrame(rows[1:], columns=rows[0])
    elif path.suffix == ".jsonl":
        frame = pd.DataFrame([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()])
    else:
        text = path.read_bytes().decode(encoding)
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return frame.fillna("").astype(str)


@pytest.fixture(scope="session")
def frames(demo: DemoResult) -> dict[str, pd.DataFrame]:
    return {source: read_export(path, demo.truth["files"][source]["encoding"]) for source, path in demo.files.items()}
