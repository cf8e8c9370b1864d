"""The monthly PDF of the demo's last month, rendered by WeasyPrint and read back with poppler-utils: pages
render to PNG, the Andon section names the planted defect's product, Chinese is embedded as a CJK font;
the partner report names no other partner."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PARTNERS = ("联保快修", "星澜授权服务中心(华南)", "星澜授权服务中心(华北)", "星澜授权服务中心(华东)")

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


def _cx(*args: str | Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-m", "cxloop.cli.main", *map(str, args), "--format", "json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_monthly_pdf_has_the_andon_product_and_cjk_glyphs(demo_20k: Path, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    truth = json.loads((demo_20k / "ground_truth.json").read_text(encoding="utf-8"))["andon"]
    pdf = tmp_path / "report.pdf"
    out = _cx("report", "monthly", "--out", pdf, "-w", demo_20k / "ws")
    assert out["format"] == "pdf" and out["month"] == "2026-10"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages and all(p.stat().st_size > 1000 for p in pages)
    text = _text(pdf)
    andon = text[text.index("Andon 停售"):text.index("主要痛点")]
    assert truth["product"] in andon
    assert re.search(r"客户体验月度报告", text)  # extracted as Chinese text, not boxes
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded


def test_english_html_report(demo_20k: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    _cx("report", "monthly", "--month", "2026-10", "--lang", "en", "--out", html, "-w", demo_20k / "ws")
    page = html.read_text(encoding="utf-8")
    assert "Customer experience monthly report" in page and "<svg" in page and "Andon holds" in page


def test_partner_report_names_no_other_partner(demo_20k: Path, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    partner, others = PARTNERS[0], PARTNERS[1:]
    pdf = tmp_path / "partner.pdf"
    _cx("report", "partner", "--partner", partner, "--month", "2026-10", "--out", pdf, "-w", demo_20k / "ws")
    text = _text(pdf)
    assert partner in text
    assert not [o for o in others if o in text]
    html = tmp_path / "partner.html"
    _cx("report", "partner", "--partner", partner, "--month", "2026-10", "--out", html, "-w", demo_20k / "ws")
    assert not [o for o in others if o in html.read_text(encoding="utf-8")]


def test_bad_month_is_one_clear_line(demo_20k: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "cxloop.cli.main", "report", "monthly", "--month", "2026-13",
                           "--out", str(tmp_path / "r.pdf"), "-w", str(demo_20k / "ws")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and done.stderr.strip() == "error: --month '2026-13': use YYYY-MM, e.g. 2026-10"
