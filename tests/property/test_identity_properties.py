"""Identity resolution: the partition of records into customers depends only on the records."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxloop.app import Workspace
from cxloop.app.ingest_service import ingest
from cxloop.config import SourceProfile

PROFILE = SourceProfile(channel="chat", map={"source_key": "key", "phone": "phone", "email": "email",
                                              "device": "device", "text": "text", "occurred_at": "at"})
phones = st.sampled_from(["", "13800000001", "13800000002", "+86 138-0000-0003", "13800000004"])
emails = st.sampled_from(["", "a@x.cn", "B@X.CN", "c@x.cn"])
devices = st.sampled_from(["", "SN-1", "sn2", "SN3"])
rows = st.lists(st.tuples(phones, emails, devices), min_size=1, max_size=14)


def _write(path: Path, part: list[tuple[int, tuple[str, str, str]]]) -> Path:
    lines = ["key,phone,email,device,text,at"]
    lines += [f"k{i},{p},{e},{d},hello {i},2026-10-01" for i, (p, e, d) in part]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _partition(root: Path, batches: list[list[tuple[int, tuple[str, str, str]]]]) -> set[frozenset[str]]:
    ws = Workspace.init(root)
    try:
        for n, part in enumerate(batches):
            if part:
                ingest(ws, _write(root / f"b{n}.csv", part), source="chat", profile=PROFILE)
        groups: dict[str, set[str]] = {}
        for key, customer in ws.con.execute("SELECT source_key, customer_id FROM records").fetchall():
            groups.setdefault(customer or f"anon-{key}", set()).add(key)
        return {frozenset(g) for g in groups.values()}
    finally:
        ws.close()


def _expected(items: list[tuple[int, tuple[str, str, str]]]) -> set[frozenset[str]]:
    """An independent union-find over normalised identifiers."""
    parent = {f"k{i}": f"k{i}" for i, _ in items}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    owner: dict[str, str] = {}
    for i, (p, e, d) in items:
        keys = []
        if p:
            keys.append("p" + p.replace("+86", "").replace(" ", "").replace("-", ""))
        if e:
            keys.append("e" + e.lower())
        if d:
            keys.append("d" + d.upper().replace("-", ""))
        for k in keys:
            if k in owner:
                parent[find(f"k{i}")] = find(owner[k])
            else:
                owner[k] = f"k{i}"
    groups: dict[str, set[str]] = {}
    for i, _ in items:
        groups.setdefault(find(f"k{i}"), set()).add(f"k{i}")
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, st.randoms(use_true_random=False))
def test_partition_is_order_independent_and_idempotent(data, rnd) -> None:
    items = list(enumerate(data))
    shuffled = items[:]
    rnd.shuffle(shuffled)
    cut = len(shuffled) // 2
    with tempfile.TemporaryDirectory() as tmp:
        one_batch = _partition(Path(tmp) / "a", [items])
        two_batches = _partition(Path(tmp) / "b", [shuffled[:cut], shuffled[cut:]])
        again = _partition(Path(tmp) / "c", [items, items])
    expected = _expected(items)
    assert one_batch == expected
    assert two_batches == expected
    assert again == expected


def test_merge_keeps_oldest_id_and_remembers_alias(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    try:
        ingest(ws, _write(tmp_path / "1.csv", [(1, ("13800000001", "", ""))]), source="chat", profile=PROFILE)
        ingest(ws, _write(tmp_path / "2.csv", [(2, ("13800000002", "", ""))]), source="chat", profile=PROFILE)
        old = dict(ws.con.execute("SELECT source_key, customer_id FROM records").fetchall())
        merging = [(3, ("13800000001", "a@x.cn", "")), (4, ("13800000002", "a@x.cn", ""))]
        ingest(ws, _write(tmp_path / "3.csv", merging), source="chat", profile=PROFILE)
        now = dict(ws.con.execute("SELECT source_key, customer_id FROM records").fetchall())
        aliases = ws.con.execute("SELECT alias_id, customer_id FROM customer_aliases").fetchall()
    finally:
        ws.close()
    assert len(set(now.values())) == 1
    assert now["k1"] == old["k1"]
    assert aliases == [(old["k2"], old["k1"])]


def test_blocklist_configured_and_overshared(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    config = ws.root / "cxloop.toml"
    text = config.read_text(encoding="utf-8").replace("blocklist = []", 'blocklist = ["400-800-1234"]')
    config.write_text(text.replace("max_customers_per_identifier = 10", "max_customers_per_identifier = 3"),
                      encoding="utf-8")
    ws.close()
    ws = Workspace.open(ws.root)
    try:
        part = [(i, ("4008001234", f"u{i}@x.cn", "")) for i in range(3)]          # switchboard: configured
        part += [(10 + i, ("", f"v{i}@x.cn", "SHARED-KIOSK")) for i in range(5)]  # device seen with 5 e-mails
        part += [(20, ("13800000009", "w@x.cn", "")), (21, ("13800000009", "", ""))]
        ingest(ws, _write(tmp_path / "b.csv", part), source="chat", profile=PROFILE)
        blocked = ws.con.execute("SELECT id_type, value, reason FROM identity_blocklist ORDER BY 1, 2").fetchall()
        customers = ws.con.execute("SELECT count(DISTINCT customer_id) FROM records").fetchall()[0][0]
    finally:
        ws.close()
    assert ("phone", "4008001234", "configured") in blocked
    assert any(t == "device" and v == "SHAREDKIOSK" and r.startswith("seen with 5 distinct email")
               for t, v, r in blocked)
    assert customers == 3 + 5 + 1


def test_new_customers_numbered_by_first_row_and_named_by_first_key(tmp_path: Path) -> None:
    """Within a batch, customers are created in the order their first row appears (`created_seq`), so a
    later merge of two of them keeps the one seen first; ids come from the component's smallest key."""
    ws = Workspace.init(tmp_path / "ws")
    try:
        rows = [(1, ("13800000009", "", "")), (2, ("13800000001", "z@x.cn", "")), (3, ("13800000009", "", ""))]
        ingest(ws, _write(tmp_path / "1.csv", rows), source="chat", profile=PROFILE)
        first = dict(ws.con.execute("SELECT source_key, customer_id FROM records").fetchall())
        created = dict(ws.con.execute("SELECT customer_id, created_seq FROM customers").fetchall())
        ingest(ws, _write(tmp_path / "2.csv", [(4, ("13800000001", "", "SN-7")), (5, ("13800000009", "", "SN-7"))]),
               source="chat", profile=PROFILE)
        merged = dict(ws.con.execute("SELECT source_key, customer_id FROM records").fetchall())
    finally:
        ws.close()

    def derived(key: str) -> str:
        return "C" + hashlib.md5(key.encode()).hexdigest()[:15]

    assert first["k1"] == first["k3"] == derived("phone:13800000009")
    assert first["k2"] == derived("email:z@x.cn")  # 'email:…' < 'phone:…'
    assert created[first["k1"]] < created[first["k2"]]  # row 1 comes first, although its key sorts last
    assert set(merged.values()) == {first["k1"]}  # the merge keeps the customer created first
