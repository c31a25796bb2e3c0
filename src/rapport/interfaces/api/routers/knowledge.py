"""The knowledge base and grounded answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from rapport.core.models import Id, Strict, Text
from rapport.core.requests import MAX_OFFSET
from rapport.engine.schemas import (
    Answer,
    Deleted,
    Document,
    DocumentSearch,
    DocumentSummary,
    KnowledgeReport,
    KnowledgeStats,
    Page,
)
from rapport.interfaces.api.deps import EngineDep, JsonRecords, TenantDep

router = APIRouter(tags=["knowledge"])


@router.post("/kb/documents")
def add_documents(engine: EngineDep, tenant: TenantDep, records: JsonRecords) -> KnowledgeReport:
    """Add or update documents `{"id", "title", "text", "metadata"}`; unchanged ones are
    skipped. One bad record rejects the batch."""
    return engine.kb.add_records(records, tenant=tenant)


@router.get("/kb/documents")
def list_documents(
    engine: EngineDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Page[DocumentSummary]:
    return engine.kb.list(tenant=tenant, limit=limit, offset=offset)


@router.get("/kb/documents/{document_id}")
def get_document(engine: EngineDep, tenant: TenantDep, document_id: str) -> Document:
    return engine.kb.get(document_id, tenant=tenant)


@router.delete("/kb/documents/{document_id}")
def remove_document(engine: EngineDep, tenant: TenantDep, document_id: str) -> Deleted:
    return engine.kb.remove(document_id, tenant=tenant)


@router.get("/kb/stats")
def stats(engine: EngineDep, tenant: TenantDep) -> KnowledgeStats:
    """Documents and chunks stored, and the retrieval settings chosen for this corpus."""
    return engine.kb.stats(tenant=tenant)


@router.get("/kb/search")
def search(
    engine: EngineDep,
    tenant: TenantDep,
    q: Annotated[str, Query(min_length=1)],
    k: Annotated[int, Query(ge=1, le=100)] = 5,
) -> DocumentSearch:
    """The best documents for `q`, each with its best chunk."""
    return engine.kb.search(q, k, tenant=tenant)


class AskRequest(Strict):
    question: Text = Field(min_length=1, max_length=2000)
    """What the user asks, in their words."""
    user_id: Id | None = None
    """The asking user: their AI opt-out is respected."""
    locale: str | None = Field(default=None, max_length=35)
    """The user's locale (`en-GB`): picks the crisis resources if the question is one."""


@router.post("/ask")
def ask(engine: EngineDep, tenant: TenantDep, body: AskRequest) -> Answer:
    """A grounded answer with citations (extractive without a language model)."""
    return engine.kb.ask(body.question, user_id=body.user_id, locale=body.locale, tenant=tenant)
