"""Find a customer by any identifier (phone, e-mail, account, openid, device, customer id or alias)."""

from __future__ import annotations

from typing import Any

from cxloop.app.access import mask_rows, scoped_sql
from cxloop.app.lake import require_local
from cxloop.app.workspace import Workspace
from cxloop.errors import NotFound
from cxloop.identity.normalize import hashed_sql, normalized_sql
from cxloop.model.fields import IDENTIFIER_FIELDS
from cxloop.store import first_row

__all__ = ["find_customer_id", "show_customer", "visible_customer_id"]


def _candidates(ws: Workspace, identifier: str) -> list[tuple[str, str]]:
    """(id_type, stored value) pairs the identifier could be, normalised (and hashed) as ingest does."""
    salt = ws.salt if ws.settings.identity.hash_identifiers else None
    out: list[tuple[str, str]] = []
    for id_type in IDENTIFIER_FIELDS:
        norm = normalized_sql(id_type, "v", "x")
        if id_type in ("account", "customer_ref"):
            norm = "v"  # already namespaced ('jd:alice') when given by a person
        expr = hashed_sql(id_type, norm, salt) if salt else norm
        row = first_row(ws.con.execute(f"SELECT {expr} FROM (SELECT trim(?) AS v)", [identifier]))
        if row and row[0]:
            out.append((id_type, row[0]))
    return out


def find_customer_id(ws: Workspace, identifier: str) -> str:
    """The customer behind any identifier or customer id; NotFound when nothing matches."""
    require_local(ws, "finding a customer")
    con = ws.con
    hit = first_row(con.execute(
        "SELECT customer_id FROM customers WHERE customer_id = ? "
        "UNION ALL SELECT customer_id FROM customer_aliases WHERE alias_id = ?",
        [identifier, identifier],
    ))
    if hit:
        return str(hit[0])
    for id_type, value in _candidates(ws, identifier):
        row = first_row(con.execute(
            "SELECT customer_id FROM identities WHERE id_type = ? AND value = ? AND customer_id IS NOT NULL",
            [id_type, value],
        ))
        if row:
            return str(row[0])
    row = first_row(con.execute(
        "SELECT customer_id FROM identities WHERE value = ? AND customer_id IS NOT NULL LIMIT 1", [identifier]
    ))
    if row:
        return str(row[0])
    raise NotFound(f"no customer with identifier {identifier!r}", field="identifier")


def visible_customer_id(ws: Workspace, identifier: str) -> str:
    """`find_customer_id`, and NotFound too when none of the customer's rows is in the principal's scope
    (a partner cannot learn that another partner's customer exists)."""
    customer_id = find_customer_id(ws, identifier)
    if ws.principal.scope.narrowed:
        rec, ev = scoped_sql(ws, "records"), scoped_sql(ws, "events")
        seen = first_row(ws.con.execute(
            f"SELECT EXISTS (SELECT 1 FROM {rec} WHERE customer_id = ?) OR "
            f"EXISTS (SELECT 1 FROM {ev} WHERE customer_id = ?)", [customer_id, customer_id]
        ))
        if not (seen and seen[0]):
            raise NotFound(f"no customer with identifier {identifier!r}", field="identifier")
    return customer_id


def show_customer(ws: Workspace, identifier: str) -> dict[str, Any]:
    customer_id = visible_customer_id(ws, identifier)
    ids = ws.con.execute(
        "SELECT id_type, value FROM identities WHERE customer_id = ? ORDER BY id_type, value", [customer_id]
    ).fetchall()
    rec, ev = scoped_sql(ws, "records"), scoped_sql(ws, "events")
    count = first_row(ws.con.execute(f"SELECT count(*) FROM {rec} WHERE customer_id = ?", [customer_id]))
    aliases = [a for (a,) in ws.con.execute(
        "SELECT alias_id FROM customer_aliases WHERE customer_id = ? ORDER BY alias_id", [customer_id]
    ).fetchall()]
    events = first_row(ws.con.execute(f"SELECT count(*) FROM {ev} WHERE customer_id = ?", [customer_id]))
    identifiers = [{t: v} for t, v in ids]
    shown = mask_rows(ws, identifiers, texts=(), what=f"customer {customer_id}")
    return {
        "customer_id": customer_id,
        "identifiers": [{"type": t, "value": next(iter(m.values()))} for (t, _), m in zip(ids, shown, strict=True)],
        "records": int(count[0]) if count else 0,
        "events": int(events[0]) if events else 0,
        "aliases": aliases,
    }
