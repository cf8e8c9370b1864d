"""The demo company: a deterministic, vectorised generator of multi-channel VOC exports with planted truths.

`generate_demo(folder, records=N, seed=S)` writes one export per source (each in its system's own columns,
date style and encoding), returns their source profiles and the ground truth later analytics must find.
"""

from cxloop.demo.generator import MIN_RECORDS, DemoResult, generate_demo
from cxloop.demo.writer import render_sources_toml

__all__ = ["MIN_RECORDS", "DemoResult", "generate_demo", "render_sources_toml"]
