"""Keys stay unique without PRIMARY KEY constraints; incremental identity equals a full union-find."""

from __future__ import annotations

import random
from pathlib import Path

from cxloop.app import Workspace
from cxloop.app.ingest_service import ingest
from cxloop.config import SourceProfile

PROFILE = SourceProfile(channel="chat", map={"source_key": "key", "phone": "phone", "email": "email",
                                              "device": "device", "text": "text", "occurred_at": "at",
                                              "event_type": "ev", "kind": "kind"})
TYPES = ("phone", "email", "account", "openid", "device", "customer_ref")


def _batch(path: Path, seed: int, rows: int = 300) -> Path:
    rng = random.Random(seed)
    lines = ["key,phone,email,device,text,at,ev,kind"]
    for _ in range(rows):
        key = rng.choice(["", "", f"k{rng.randint(0, 60)}"])
        phone = rng.choice(["", f"1380000{rng.randint(0, 80):04d}"])
        email = rng.choice(["", f"u{rng.randint(0, 90)}@x.cn"])
        device = rng.choice(["", "", f"SN{rng.randint(0, 20)}"])
        kind, ev, text = rng.choice([("", "", f"t{rng.randint(0, 3)}"), ("event", "order", ""), ("", "visit", "")])
        line = f"{key},{phone},{email},{device},{text},2026-10-{rng.randint(1, 9):02d},{ev},{kind}"
        lines += [line] * (2 if rng.random() < 0.05 else 1)  # exact duplicates within the file too
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _union_find_partition(ws: Workspace) -> set[frozenset[str]]:
    """An independent full recomputation: rows linked by any identifier that is not blocklisted."""
    blocked = set(ws.con.execute("SELECT id_type, value FROM identity_blocklist").fetchall())
    rows = ws.con.execute(
        f"SELECT 'r' || record_id, {', '.join(TYPES)} FROM records "
        f"UNION ALL SELECT 'e' || event_id, {', '.join(TYPES)} FROM events"
    ).fetchall()
    parent: dict[object, object] = {}

    def find(x: object) -> object:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    linked = set()
    for rid, *values in rows:
        for key in ((t, v) for t, v in zip(TYPES, values, strict=True) if v is not None and (t, v) not in blocked):
            parent[find(key)] = find(rid)
            linked.add(rid)
    groups: dict[object, set[str]] = {}
    for rid, *_ in rows:
        if rid in linked:
            groups.setdefault(find(rid), set()).add(rid)
    return {frozenset(g) for g in groups.values()}


def _stored_partition(ws: Workspace) -> set[frozenset[str]]:
    rows = ws.con.execute(
        "SELECT customer_id, list(rid) FROM (SELECT 'r' || record_id AS rid, customer_id FROM records "
        "UNION ALL SELECT 'e' || event_id, customer_id FROM events) WHERE customer_id IS NOT NULL GROUP BY 1"
    ).fetchall()
    return {frozenset(ids) for _, ids in rows}


def test_ids_unique_and_identity_matches_full_recomputation(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    config = ws.root / "cxloop.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "max_customers_per_identifier = 10", "max_customers_per_identifier = 4"), encoding="utf-8")
    ws.close()
    ws = Workspace.open(ws.root)
    try:
        for seed in (1, 2, 1, 3):  # overlapping keys: updates, re-ingest, merges and blocklist splits
            result = ingest(ws, _batch(tmp_path / f"b{seed}.csv", seed), source="chat", profile=PROFILE)
            assert sum(result[k] for k in ("inserted", "updated", "unchanged", "rejected")) == result["rows_read"]
            for table, key in (("records", "record_id"), ("events", "event_id"), ("customers", "customer_id"),
                               ("identities", "(id_type, value)")):
                total, distinct = ws.con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}").fetchall()[0]
                assert total == distinct, f"duplicate keys in {table}"
            assert _stored_partition(ws) == _union_find_partition(ws)
            dangling = ws.con.execute(
                "SELECT count(*) FROM identities WHERE customer_id IS NOT NULL "
                "AND customer_id NOT IN (SELECT customer_id FROM customers)"
            ).fetchall()[0][0]
            assert dangling == 0
        blocked = ws.con.execute("SELECT count(*) FROM identity_blocklist").fetchall()[0][0]
    finally:
        ws.close()
    assert blocked > 0  # the data set does exercise the blocklist split path
