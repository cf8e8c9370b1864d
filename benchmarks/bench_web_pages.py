"""Server time of each dashboard page (cold: first request after start; warm: the same request again,
answered from the per-scope aggregate cache), in-process through an ASGI client.

    python -m benchmarks.bench_web_pages WORKSPACE USER PASSWORD

The user must exist with that password (`cxloop users add` + `cxloop users set-password`).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient

from cxloop.web import create_app

PAGES = ["/", "/painpoints", "/painpoints/drill?topic=quality.battery", "/journeys", "/customer?q=13060304938",
         "/alerts", "/holds", "/cases", "/initiatives", "/teams", "/integrity", "/data"]


def main(root: str, user: str, password: str) -> None:
    with TestClient(create_app(Path(root))) as client:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        client.post("/login", data={"user": user, "password": password, "csrf_token": csrf.group(1)})
        print(f"{'page':45} {'cold s':>8} {'warm s':>8}")
        for path in PAGES:
            times = []
            for _ in range(2):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, (path, response.status_code)
            print(f"{path:45} {times[0]:8.2f} {times[1]:8.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
