"""The REST API under load: records search and `metrics/nps?by=month,channel` on a 1M-record workspace,
p50/p99 at 20 concurrent clients with wrk on loopback, side by side with the app function called in
process (the floor, one call at a time).

    .venv/bin/python -m benchmarks.bench_api [--workspace benchmarks/.data/ws1m] [--duration 20]
        [--connections 20] [--no-append]

The workspace is `cxloop demo benchmarks/.data/ws1m --records 1000000` (made once, ~6 min). The script
adds a viewer user (masked output, as most users see it), lifts the workspace's API rate limit for the
run (one token makes every request), builds the search index, starts `cxloop serve` on a free loopback
port and runs wrk (`apt-get install wrk`) against it: 2 threads, `--connections` connections, `--latency`.
Cases: a Chinese word search (`q=退款`, page of 50, newest first); a search with a filter; NPS by month and
channel repeated (a dashboard reload: answered from the aggregate cache) and with a different `asof` on
every request (a cache miss each time: the full query). wrk and the server share the machine's cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.run import append_section, machine, print_table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WS = Path(__file__).resolve().parent / ".data" / "ws1m"
SEARCH = "/api/v1/records?q=%E9%80%80%E6%AC%BE&limit=50"  # q=退款
SEARCH_FILTERED = "/api/v1/records?q=%E9%80%80%E6%AC%BE&channel=hotline&limit=50"
METRICS = "/api/v1/metrics/nps?by=month,channel"
MISS_LUA = """
math.randomseed(os.time())
request = function()
  local asof = os.date("!%Y-%m-%d", 1777593600 + 86400 * math.random(0, 183))  -- 2026-05-01 + 0..183 days
  local since = math.random(30, 400) .. "d"
  return wrk.format("GET", "/api/v1/metrics/nps?by=month,channel&asof=" .. asof .. "&since=" .. since)
end
"""  # ~68,000 distinct (asof, since): almost every request computes the full query


def prepare(root: Path) -> str:
    """A viewer's token, the rate limit lifted, the search index current; returns the token."""
    from cxloop.app import Workspace
    from cxloop.app.records_index import refresh_records_index
    from cxloop.app.users_service import add_user, create_token

    config = root / "cxloop.toml"
    if "[api]" not in config.read_text(encoding="utf-8"):
        with config.open("a", encoding="utf-8") as handle:
            handle.write('\n[api]\nrate_limit = "10000000/minute"  # bench_api: one token, many clients\n')
    with Workspace.open(root) as ws:
        users = {r[0] for r in ws.con.execute("SELECT user_name FROM users").fetchall()}
        token = (create_token(ws, "bench")["token"] if "bench" in users
                 else add_user(ws, "bench", "viewer")["token"])
        built = refresh_records_index(ws)
    print(f"search index: {built['rows']} rows, {'reused' if built['reused'] else 'built'} "
          f"in {built['seconds']:.1f} s", file=sys.stderr)
    return str(token)


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]


def in_process(root: Path, runs: int) -> dict[str, tuple[float, float]]:
    """p50/p99 (ms) of the app functions called one at a time, as the viewer (the floor)."""
    from cxloop.app import Workspace
    from cxloop.app import metrics_service as metrics
    from cxloop.app.records_service import RecordQuery, search_records
    from cxloop.app.users_service import principal_for_user

    cases: dict[str, Callable[[Any], Any]] = {
        "search": lambda ws: search_records(ws, RecordQuery(q="退款", limit=50)),
        "search_filtered": lambda ws: search_records(ws, RecordQuery(q="退款", filters={"channel": "hotline"},
                                                                     limit=50)),
        "metrics": lambda ws: metrics.compute_metric(ws, {"metric": "nps", "by": "month,channel"}),
    }
    out = {}
    with Workspace.open(root) as ws:
        ws.principal = principal_for_user(ws, "bench", via="token")
        for name, call in cases.items():
            call(ws)  # warm-up
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                call(ws)
                times.append(time.perf_counter() - t0)
            out[name] = _percentiles(times)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(base: str, path: str, token: str, duration: int, connections: int, script: str | None = None) -> dict:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s",
            "-H", f"Authorization: Bearer {token}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    if script:
        args += ["-s", lua.name]
    out = subprocess.run([*args, base + path], capture_output=True, text=True, check=True).stdout
    os.unlink(lua.name)
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    if "50" not in pct or "99" not in pct:
        raise RuntimeError(f"no latency distribution in wrk's output:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)$", out, re.MULTILINE)
    return {"p50_ms": _ms(pct["50"]), "p99_ms": _ms(pct["99"]), "rps": rps, "requests": total,
            "non_2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else ""}


def serve(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cxloop.cli.main", "serve", "--port", str(port), "-w", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("cxloop serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=DEFAULT_WS)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--runs", type=int, default=30, help="in-process calls per case")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    if not (args.workspace / "cxloop.duckdb").is_file():
        sys.exit(f"no workspace at {args.workspace}: make it with "
                 f"'cxloop demo {args.workspace} --records 1000000' (about 6 minutes)")
    machine_line = machine()
    token = prepare(args.workspace)
    floor = in_process(args.workspace, args.runs)
    proc, base = serve(args.workspace)
    try:
        import httpx

        for path in (SEARCH, METRICS):  # warm-up; fills the aggregate cache for the repeated metrics case
            assert httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=120).status_code == 200
        http = {
            "search": wrk(base, SEARCH, token, args.duration, args.connections),
            "search_filtered": wrk(base, SEARCH_FILTERED, token, args.duration, args.connections),
            "metrics": wrk(base, METRICS, token, args.duration, args.connections),
            "metrics_miss": wrk(base, "/", token, args.duration, args.connections, script=MISS_LUA),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    load_end = os.getloadavg()[0]
    labels = {
        "search": ("records search q=退款, 50 newest", "search", 100),
        "search_filtered": ("records search q=退款 & channel=hotline", "search_filtered", 100),
        "metrics": ("metrics/nps?by=month,channel (repeated: cached)", "metrics", 200),
        "metrics_miss": ("metrics/nps?by=month,channel&asof=<random> (cache miss)", "metrics", 200),
    }
    rows = []
    for key, (label, floor_key, target) in labels.items():
        h = http[key]
        p50, p99 = floor[floor_key]
        rows.append({"case": label, "http_p50_ms": round(h["p50_ms"], 1), "http_p99_ms": round(h["p99_ms"], 1),
                     "target_p99_ms": target, "req_per_s": round(h["rps"], 1), "requests": h["requests"],
                     "non_2xx": h["non_2xx"], "in_process_p50_ms": round(p50, 1), "in_process_p99_ms": round(p99, 1)})
    print_table(rows)
    print(json.dumps({"rows": rows, "load_at_end": load_end}))
    if not args.no_append:
        notes = (f"{args.connections} concurrent connections, {args.duration} s per case (wrk 2 threads, on the same "
                 f"2 cores as the server); in-process floor: {args.runs} sequential calls of the app function "
                 f"(no HTTP, no auth). Viewer token (masked rows). Load average {load_end:.1f} at the end. "
                 "The cache-miss case varies `asof` and `since` per request (~68,000 combinations) so nearly every "
                 "request computes the full query.")
        append_section("REST API latency (bench_api)", rows, "python -m benchmarks.bench_api", notes, machine_line)


if __name__ == "__main__":
    main()
