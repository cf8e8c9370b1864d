"""The first `alerts run` of `cxloop demo` (part of its summary) finds what ground_truth.json plants: the
defect's product on hold within a week of its first report, little else on hold, a case for every
repeat-contact customer — and a second run adds nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cxloop.app import Workspace
from cxloop.app.alerts_service import run_alerts
from cxloop.app.andon_service import list_holds
from cxloop.app.cases_service import list_cases
from cxloop.app.customers_service import find_customer_id

pytestmark = pytest.mark.slow


def _truth(demo: Path) -> dict[str, Any]:
    return dict(json.loads((demo / "ground_truth.json").read_text(encoding="utf-8"))["andon"])


def test_the_planted_defect_is_held_within_a_week_and_little_else(demo_20k: Path) -> None:
    truth = _truth(demo_20k)
    with Workspace.open(demo_20k / "ws", read_only=True) as ws:
        holds = list_holds(ws)["holds"]
        texts = dict(ws.con.execute("SELECT record_id, text FROM records").fetchall())
    defect = [h for h in holds if h["product"] == truth["product"]
              and sum(any(s in texts[r] for s in truth["issue_stems"]) for r in h["evidence"])
              > 0.8 * len(h["evidence"])]
    assert len(defect) == 1, holds
    opened = date.fromisoformat(defect[0]["opened_at"][:10]) if isinstance(defect[0]["opened_at"], str) \
        else defect[0]["opened_at"].date()
    first = date.fromisoformat(truth["first_report_day"])
    assert first - timedelta(days=1) <= opened <= date.fromisoformat(truth["held_by"])
    assert defect[0]["customers"] >= 3 and defect[0]["status"] == "on_hold"
    assert len(holds) - 1 <= truth["max_other_holds"], [(h["product"], h["issue"]) for h in holds]


def test_every_planted_repeat_contact_customer_has_a_case(demo_20k: Path) -> None:
    truth = _truth(demo_20k)
    with Workspace.open(demo_20k / "ws", read_only=True) as ws:
        planted = {find_customer_id(ws, phone) for phone in truth["repeat_contact_cases"]}
        cases = list_cases(ws, origin="repeat_contact", limit=1000)["cases"]
    assert planted <= {c["customer_id"] for c in cases}
    assert len(cases) <= len(planted) + 3


def test_a_second_run_over_the_demo_adds_and_sends_nothing(demo_20k: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "ws"
    shutil.copytree(demo_20k / "ws", copy)
    with Workspace.open(copy) as ws:
        again = run_alerts(ws, actor="test")
    assert (again["alerts"], again["delivered"], again["dead_letters"], again["holds"], again["cases"]) == \
        ([], 0, 0, 0, 0)


def test_painpoints_verbatims_as_json_keep_missing_scores_as_null(demo_20k: Path) -> None:
    """Verbatims without an NPS answer come out as null, not NaN (which is not JSON)."""
    done = subprocess.run(
        [sys.executable, "-c", "from cxloop.cli.main import main; main()", "painpoints", "--verbatims", "20",
         "--format", "json", "-w", str(demo_20k / "ws")],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    verbatims = json.loads(done.stdout)["verbatims"]
    assert verbatims and all(v["nps"] is None or isinstance(v["nps"], int) for v in verbatims)
    assert any(v["nps"] is None for v in verbatims)
