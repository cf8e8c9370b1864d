"""docs/api.md stays true: its curl examples run against a real server, its permission table is the
matrix in code, and every `[api]` setting is documented."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from api_support import build_workspace, running_server

from cxloop.access import MATRIX, Permission, Role
from cxloop.access.policy import ApiSettings

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")


def test_permission_table_is_the_matrix() -> None:
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z.]+)` \| (.+) \|$", DOCS, re.MULTILINE)
            if m.group(1) in {p.value for p in Permission}}
    assert set(rows) == {p.value for p in Permission}
    for permission in Permission:
        marks = [c.strip() for c in rows[permission.value].split("|")]
        assert marks == ["✓" if permission in MATRIX[r] else "·" for r in Role], permission


def test_every_api_setting_is_documented() -> None:
    for name, field in ApiSettings.model_fields.items():
        row = re.search(rf"^\| `{name}` \| ([^|]+) \|", DOCS, re.MULTILINE)
        assert row, name
        shown = row.group(1).strip().strip('`"')
        assert (float(shown) == field.default) if isinstance(field.default, int | float) else shown == field.default


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("jq") is None, reason="needs curl and jq")
def test_curl_examples_run(tmp_path: Path) -> None:
    blocks = re.findall(r"```bash\n(.*?)```", DOCS, re.DOTALL)
    assert len(blocks) >= 4
    api_ws = build_workspace(tmp_path / "ws")
    with running_server(api_ws.root) as base:
        env = {**os.environ, "CXLOOP_URL": base, "TOKEN": api_ws.tokens["root"], "VIEWER": api_ws.tokens["ann"],
               "PARTNER": api_ws.tokens["sf"]}
        for block in blocks:
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], env=env, capture_output=True, text=True,
                                  timeout=120)
            assert done.returncode == 0, f"{block}\n{done.stdout}\n{done.stderr}"
