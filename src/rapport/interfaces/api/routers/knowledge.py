"""The knowledge base and grounded answers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from rapport.core.models import Document, Page
from rapport.core.store.documents import DocumentSummary
from rapport.interfaces.api.deps import EngineDep, TenantDep
from rapport.interfaces.api.schemas import JsonRecords

router = APIRouter(tags=["knowledge"])


class KnowledgeReportOut(BaseModel):
    added: int
    updated: int
    unchanged: int
    chunks: int
    embedded: int


class HitOut(BaseModel):
    doc_id: str
    title: str
    score: float
    chunk_id: str
    chunk: str


class CitationOut(BaseModel):
    number: int
    document_id: str
    title: str
    chunk_id: str
    quote: str
    start: int | None


class AnswerOut(BaseModel):
    question: str
    answer: str
    mode: str
    """`extractive` (no language model) or `generated`."""
    citations: list[CitationOut]
    unsupported: list[str]
    """Generated sentences the sources do not support."""
    ignored: list[str]
    """Source sentences left out because they try to instruct the assistant."""


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    user_id: str | None = None


@router.post("/kb/documents")
def add_documents(engine: EngineDep, tenant: TenantDep, records: JsonRecords) -> KnowledgeReportOut:
    """Add or update documents `{"id", "title", "text", "metadata"}`; unchanged ones are
    skipped. One bad record rejects the batch."""
    return KnowledgeReportOut(**engine.kb_add_records(records, tenant=tenant).as_dict())


@router.get("/kb/documents")
def list_documents(
    engine: EngineDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[DocumentSummary]:
    return engine.kb_list(tenant=tenant, limit=limit, offset=offset)


@router.get("/kb/documents/{document_id}")
def get_document(engine: EngineDep, tenant: TenantDep, document_id: str) -> Document:
    return engine.kb_get(document_id, tenant=tenant)


@router.delete("/kb/documents/{document_id}")
def remove_document(engine: EngineDep, tenant: TenantDep, document_id: str) -> dict[str, Any]:
    return {"deleted": engine.kb_remove(document_id, tenant=tenant)}


@router.get("/kb/search")
def search(
    engine: EngineDep,
    tenant: TenantDep,
    q: Annotated[str, Query(min_length=1)],
    k: Annotated[int, Query(ge=1, le=100)] = 5,
) -> list[HitOut]:
    """The best documents for `q`, each with its best chunk."""
    return [
        HitOut(
            doc_id=h.document_id,
            title=h.title,
            score=h.score,
            chunk_id=h.chunk.id,
            chunk=h.chunk.text,
        )
        for h in engine.kb_search(q, k, tenant=tenant)
    ]


@router.post("/ask")
def ask(engine: EngineDep, tenant: TenantDep, body: AskIn) -> AnswerOut:
    """A grounded answer with citations (extractive without a language model)."""
    answer = engine.ask(body.question, user_id=body.user_id, tenant=tenant)
    return AnswerOut(
        question=answer.question,
        answer=answer.text,
        mode=answer.mode,
        citations=[CitationOut(**vars(c)) for c in answer.citations],
        unsupported=answer.unsupported,
        ignored=answer.ignored,
    )
