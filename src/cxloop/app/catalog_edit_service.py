"""Create and update taxonomy topics and standard questions (FAQ) one at a time, validated as the file
imports are (`text.taxonomy.Topic.from_dict`, the taxonomy's parent check). Every change is audited."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cxloop.access import Permission
from cxloop.app.audit_service import record
from cxloop.app.text_catalog_service import list_faq
from cxloop.app.text_service import store_topics, sync_taxonomy
from cxloop.app.workspace import Workspace
from cxloop.errors import Conflict, InputError, NotFound
from cxloop.store import first_row, transaction
from cxloop.text.taxonomy import Topic

__all__ = ["TOPIC_FIELDS", "create_faq", "create_topic", "update_faq", "update_topic"]

TOPIC_FIELDS = ("topic_id", "name_zh", "name_en", "parent_id", "keywords", "pattern", "owner_department", "examples")
_FAQ_FIELDS = ("faq_id", "question", "variants", "answer", "product")


def _save_topic(ws: Workspace, topic: Topic, action: str) -> dict[str, Any]:
    taxonomy = sync_taxonomy(ws)
    taxonomy.merged([topic])  # the parent must exist
    store_topics(ws, [topic.to_dict()])
    record(ws, action, target=topic.topic_id)
    return {**topic.to_dict(), "notes": ["run 'cxloop enrich' to tag records with the change"]}


def create_topic(ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    ws.principal.require(Permission.catalog_write)
    topic = Topic.from_dict({k: v for k, v in data.items() if k in TOPIC_FIELDS}, origin="workspace")
    if topic.topic_id in sync_taxonomy(ws):
        raise Conflict(f"topic {topic.topic_id!r} already exists; update it instead", field="topic_id")
    return _save_topic(ws, topic, "taxonomy.create")


def update_topic(ws: Workspace, topic_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    ws.principal.require(Permission.catalog_write)
    current = sync_taxonomy(ws).get(topic_id)
    if current is None:
        raise NotFound(f"no topic {topic_id!r}", field="topic_id")
    if changes.get("parent_id") == topic_id:
        raise InputError("a topic cannot be its own parent", field="parent_id")
    merged = {**current.to_dict(), **{k: v for k, v in changes.items() if k in TOPIC_FIELDS}, "topic_id": topic_id}
    topic = replace(Topic.from_dict(merged), origin="workspace")
    return _save_topic(ws, topic, "taxonomy.update")


def _faq_entry(data: dict[str, Any]) -> dict[str, Any]:
    faq_id = str(data.get("faq_id") or "").strip()
    question = str(data.get("question") or "").strip()
    if not faq_id or not question:
        raise InputError(f"{'faq_id' if not faq_id else 'question'} must not be empty",
                         field="faq_id" if not faq_id else "question")
    variants = [str(v).strip() for v in (data.get("variants") or []) if str(v).strip()]
    return {"faq_id": faq_id, "question": question, "variants": variants, "answer": data.get("answer"),
            "product": data.get("product")}


def _write_faq(ws: Workspace, entry: dict[str, Any]) -> None:
    with transaction(ws.con):
        ws.con.execute("DELETE FROM faq WHERE faq_id = ?", [entry["faq_id"]])
        ws.con.execute("INSERT INTO faq (faq_id, question, variants, answer, product) VALUES (?, ?, ?, ?, ?)",
                       [entry[c] for c in _FAQ_FIELDS])


def create_faq(ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    ws.principal.require(Permission.catalog_write)
    entry = _faq_entry(data)
    if first_row(ws.con.execute("SELECT 1 FROM faq WHERE faq_id = ?", [entry["faq_id"]])):
        raise Conflict(f"standard question {entry['faq_id']!r} already exists; update it instead", field="faq_id")
    _write_faq(ws, entry)
    record(ws, "faq.create", target=entry["faq_id"])
    return entry


def update_faq(ws: Workspace, faq_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    ws.principal.require(Permission.catalog_write)
    current = next((f for f in list_faq(ws) if f["faq_id"] == faq_id), None)
    if current is None:
        raise NotFound(f"no standard question {faq_id!r}", field="faq_id")
    entry = _faq_entry({**current, **{k: v for k, v in changes.items() if k in _FAQ_FIELDS}, "faq_id": faq_id})
    _write_faq(ws, entry)
    record(ws, "faq.update", target=faq_id)
    return entry
