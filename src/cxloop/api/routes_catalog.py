"""Routes of the text catalogues: taxonomy topics and standard questions (list, create, update)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from cxloop.access import Permission
from cxloop.api.auth import access
from cxloop.api.problems import ERROR_RESPONSES
from cxloop.app.catalog_edit_service import create_faq, create_topic, update_faq, update_topic
from cxloop.app.text_catalog_service import list_faq, list_topics
from cxloop.app.workspace import Workspace

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["catalog"])

# GETs of the taxonomy may seed it (the shipped default), so they take the write turn too.
Reader = Annotated[Workspace, Depends(access(Permission.catalog_read, write=True))]
Writer = Annotated[Workspace, Depends(access(Permission.catalog_write))]
_ID = r"^[A-Za-z0-9_.\-]+$"


class TopicChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_zh: str | None = Field(None, min_length=1, max_length=100)
    name_en: str | None = Field(None, min_length=1, max_length=100)
    parent_id: str | None = Field(None, pattern=_ID, max_length=100)
    keywords: list[str] | None = Field(None, max_length=500)
    pattern: str | None = Field(None, max_length=1000)
    owner_department: str | None = Field(None, max_length=100)
    examples: list[str] | None = Field(None, max_length=50)


class TopicNew(TopicChanges):
    topic_id: str = Field(pattern=_ID, max_length=100)
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)


class FaqChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str | None = Field(None, min_length=1, max_length=1000)
    variants: list[str] | None = Field(None, max_length=200)
    answer: str | None = Field(None, max_length=10_000)
    product: str | None = Field(None, max_length=100)


class FaqNew(FaqChanges):
    faq_id: str = Field(pattern=_ID, max_length=100)
    question: str = Field(min_length=1, max_length=1000)


@router.get("/taxonomy", summary="Taxonomy topics with their record counts")
def taxonomy(ws: Reader) -> dict[str, Any]:
    return {"topics": list_topics(ws)}


@router.post("/taxonomy", summary="Add a topic", status_code=201)
def taxonomy_create(body: TopicNew, ws: Writer) -> dict[str, Any]:
    return create_topic(ws, body.model_dump(exclude_none=True))


@router.patch("/taxonomy/{topic_id}", summary="Change a topic")
def taxonomy_update(topic_id: str, body: TopicChanges, ws: Writer) -> dict[str, Any]:
    return update_topic(ws, topic_id, body.model_dump(exclude_unset=True))


@router.get("/faq", summary="Standard questions")
def faq(ws: Reader) -> dict[str, Any]:
    return {"faq": list_faq(ws)}


@router.post("/faq", summary="Add a standard question", status_code=201)
def faq_create(body: FaqNew, ws: Writer) -> dict[str, Any]:
    return create_faq(ws, body.model_dump(exclude_none=True))


@router.patch("/faq/{faq_id}", summary="Change a standard question")
def faq_update(faq_id: str, body: FaqChanges, ws: Writer) -> dict[str, Any]:
    return update_faq(ws, faq_id, body.model_dump(exclude_unset=True))
