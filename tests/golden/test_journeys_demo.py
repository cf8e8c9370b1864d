"""The demo's planted journeys surface by themselves: the lossy IVR node and the repeat-contact customers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxloop.app import Workspace
from cxloop.app import journeys_service as js
from cxloop.app.customers_service import find_customer_id

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(demo_20k: Path) -> Path:
    return demo_20k


def test_planted_ivr_node_tops_the_lost_rate_ranking(demo: Path) -> None:
    truth = json.loads((demo / "ground_truth.json").read_text(encoding="utf-8"))["ivr_lost_node"]
    with Workspace.open(demo / "ws", read_only=True) as ws:
        nodes = js.ivr_paths(ws)["nodes"]
    assert nodes[0]["node"] == truth["node"]
    assert nodes[0]["lost_rate"] == pytest.approx(100 * truth["lost_rate"], abs=0.01)


def test_planted_repeat_contacts_are_among_the_worst_journeys(demo: Path) -> None:
    planted = json.loads((demo / "ground_truth.json").read_text(encoding="utf-8"))["repeat_contacts"]
    with Workspace.open(demo / "ws", read_only=True) as ws:
        customers = {find_customer_id(ws, p["phone"]) for p in planted}
        worst = js.worst_journeys(ws, top=len(customers) + 4)["journeys"]
    assert customers <= {j["customer_id"] for j in worst}
    assert worst[0]["customer_id"] in customers
    assert all(len(j["timeline"]) >= j["contacts"] for j in worst)
