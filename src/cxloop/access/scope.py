"""Row scoping as Ibis filters: what a partner's or a department's user may aggregate and list.

A partner user sees the records and events whose `partner` is theirs. A department's user sees the rows
attributed to the department: `department` equal to it, or, where a row names no department, a primary
topic owned by it (the taxonomy's `owner_department`). Tables that hang off records (enrichments, the
topic-facts copy) keep only the rows of scoped records; the others are not narrowed.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis.expr.types as ir

from cxloop.access.roles import Scope

__all__ = ["ROW_TABLES", "scope_table"]

ROW_TABLES = ("records", "events", "records_by_time")  # records_by_time: a sorted copy of records
_BY_RECORD = ("enrichments", "metrics_topic_facts")


def _rows(t: ir.Table, scope: Scope, tables: Callable[[str], ir.Table]) -> ir.Table:
    if scope.partner is not None:
        return t.filter(t.partner == scope.partner)
    dept = scope.department
    e, tax = tables("enrichments"), tables("taxonomy")
    owned = tax.filter(tax.owner_department == dept).select("topic_id")
    if "record_id" in t.columns:
        by_topic = e.filter(e.topic_id.isin(owned.topic_id)).select("record_id")
        return t.filter((t.department == dept) | (t.department.isnull() & t.record_id.isin(by_topic.record_id)))
    return t.filter(t.department == dept)


def scope_table(name: str, table: ir.Table, scope: Scope, tables: Callable[[str], ir.Table]) -> ir.Table:
    """`table` (named `name`) narrowed to `scope`; `tables` gives the unscoped base tables."""
    if not scope.narrowed:
        return table
    if name in ROW_TABLES:
        return _rows(table, scope, tables)
    if name in _BY_RECORD:
        if scope.partner is not None and "partner" in table.columns:
            return table.filter(table.partner == scope.partner)
        kept = _rows(tables("records"), scope, tables).select("record_id")
        return table.filter(table.record_id.isin(kept.record_id))
    return table
