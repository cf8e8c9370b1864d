"""Scoping and masking applied to what the app returns, for whoever `ws.principal` is.

Every face (CLI, API, dashboard, reports) calls the same app functions, so they scope and mask alike:
engines opened through `app.engines.open_engine` hand out scoped tables (`ScopedEngine`), and the functions
that return identifiers, texts or raw rows pass them through `mask_rows` / `mask_value`. A principal with
the `pii` privilege sees them unmasked, and each such view is written to the audit log (the CLI's
workspace owner excepted: they hold the database file itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from cxloop.access import RecordMasker, Scope, scope_table
from cxloop.access.masking import TEXT_COLUMNS
from cxloop.access.policy import ApiSettings
from cxloop.app.workspace import Workspace
from cxloop.errors import ConfigError
from cxloop.text.pii import PiiRedactor

__all__ = [
    "ScopedEngine",
    "api_settings",
    "audit_pii_view",
    "mask_rows",
    "masker",
    "scoped_engine",
    "scoped_sql",
    "scoped_status",
    "scoped_table",
]


class ScopedEngine:
    """An engine whose tables are narrowed to a scope (see `cxloop.access.scope`)."""

    def __init__(self, inner: Any, scope: Scope) -> None:
        self.inner = inner
        self.scope = scope
        self.name = inner.name

    def table(self, name: str) -> ibis.Table:
        return scope_table(name, self.inner.table(name), self.scope, self.inner.table)

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        return self.inner.to_arrow(expr)

    def __getattr__(self, name: str) -> Any:  # backend, session... of the wrapped engine
        return getattr(self.inner, name)


def scoped_engine(ws: Workspace, engine: Any) -> Any:
    """`engine` narrowed to the principal's scope (itself when the principal sees everything)."""
    scope = ws.principal.scope
    if not scope.narrowed or isinstance(engine, ScopedEngine):
        return engine
    return ScopedEngine(engine, scope)


def scoped_table(ws: Workspace, name: str) -> ir.Table:
    """One workspace table on DuckDB, narrowed to the principal's scope."""
    from cxloop.app.engines import open_engine

    return open_engine(ws, "duckdb", ()).table(name)


def scoped_sql(ws: Workspace, name: str) -> str:
    """A FROM-able relation of table `name` as the principal may see it: the table itself when unscoped,
    else the scoped Ibis expression compiled to SQL (its literals quoted by the compiler)."""
    if not ws.principal.scope.narrowed:
        return name
    return f"({ibis.to_sql(scoped_table(ws, name), dialect='duckdb')})"


def scoped_status(ws: Workspace) -> dict[str, Any]:
    """`Workspace.status()` over the rows the principal may see (batches and rejects: ingest's rights)."""
    from cxloop.access import Permission

    if not ws.principal.scope.narrowed:
        out = ws.status()
    else:
        rec, ev = scoped_sql(ws, "records"), scoped_sql(ws, "events")
        counts = ws.con.execute(
            f"SELECT (SELECT count(*) FROM {rec}), (SELECT count(*) FROM {ev}), "
            f"(SELECT count(DISTINCT customer_id) FROM (SELECT customer_id FROM {rec} UNION ALL "
            f"SELECT customer_id FROM {ev}))"
        ).fetchall()[0]
        by_channel = dict(ws.con.execute(
            f"SELECT coalesce(channel, '(none)'), count(*) FROM {rec} GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall())
        out = {"records": counts[0], "events": counts[1], "customers": counts[2], "batches": None,
               "rejects": None, "by_channel": by_channel}
    if not ws.principal.can(Permission.ingest_read):
        out["batches"] = out["rejects"] = None
    return out


def masker(ws: Workspace) -> RecordMasker | None:
    """The principal's masker, or None when they may see PII."""
    if not ws.principal.masked:
        return None
    from cxloop.app.text_service import text_settings

    pii = text_settings(ws).pii
    return RecordMasker(PiiRedactor(order_patterns=pii.order_patterns, redact_addresses=pii.redact_addresses))


def mask_rows(ws: Workspace, rows: Sequence[dict[str, Any]], *, texts: Iterable[str] = TEXT_COLUMNS,
              what: str = "records") -> list[dict[str, Any]]:
    """`rows` as the principal may see them; an unmasked view of any row is audited."""
    m = masker(ws)
    if m is None:
        if rows:
            audit_pii_view(ws, what, len(rows))
        return list(rows)
    texts = tuple(texts)
    return [m.row(r, texts=texts) for r in rows]


def audit_pii_view(ws: Workspace, what: str, count: int) -> None:
    """Record that a user saw `count` unmasked rows of `what` (the CLI's owner is not audited)."""
    if ws.principal.is_owner:
        return
    from cxloop.app.audit_service import record

    record(ws, "pii.view", target=what, detail={"rows": count})


def api_settings(ws: Workspace) -> ApiSettings:
    """The `[api]` section of cxloop.toml, validated."""
    try:
        return ApiSettings.model_validate(getattr(ws.settings, "api", None) or {})
    except ValueError as exc:
        raise ConfigError(f"{ws.root / 'cxloop.toml'}: [api]: {exc}", field="api") from exc
