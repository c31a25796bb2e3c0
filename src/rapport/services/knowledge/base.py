"""`KnowledgeBase`: each tenant's documents, chunked, stored and embedded for retrieval."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from rapport.core.errors import FieldError, InvalidInput
from rapport.core.models import Chunk, Deleted, Document, Page, Schema
from rapport.core.store.documents import (
    CHUNK_SPACE,
    DocumentStore,
    DocumentSummary,
    document_hash,
)
from rapport.core.store.repository import Progress, Store
from rapport.core.vectors.embedder import Embedder
from rapport.core.vectors.index import VectorIndex
from rapport.core.vectors.refresh import refresh_vectors
from rapport.services.knowledge.chunking import Chunker, ChunkingConfig
from rapport.services.knowledge.loaders import Labelled, load_paths, record_documents

log = structlog.get_logger(__name__)


class KnowledgeReport(Schema):
    """What one call adding documents did."""

    added: int = 0
    """Documents that were new."""
    updated: int = 0
    """Documents whose content changed, or that were chunked otherwise before (other chunking
    settings, an older rapport): re-chunked, their old chunks replaced."""
    unchanged: int = 0
    """Documents identical to the stored ones: left untouched, nothing embedded."""
    chunks: int = 0
    """Chunks written for the added and updated documents."""
    embedded: int = 0
    """Chunk texts sent to the embedder; texts already embedded before are reused."""
    retrieval: str | None = None
    """The tenant's retrieval settings after this call, in words (chosen again on the
    corpus when it changed materially; `kb stats` tells more)."""


@dataclass(frozen=True)
class ChunkHit:
    chunk: Chunk
    score: float


# Module-level aliases: inside `KnowledgeBase`, `list` is the listing method.
ChunkIds = list[str]
Hits = list[ChunkHit]


def embedding_text(chunk: Chunk) -> str:
    """What represents a chunk in vector space and for BM25: its document title (for a
    later chunk of an untitled document, the document's opening: see `Chunker.split`),
    then its text."""
    heading = chunk.metadata.get("title") or chunk.metadata.get("lead") or ""
    return titled(str(heading), chunk.text)


def titled(title: str, text: str) -> str:
    """A chunk's text under its document's title (the whole text when there is none, or
    when the title is the whole text)."""
    return f"{title}\n\n{text}" if title and title != text else text


class KnowledgeBase:
    """Documents per tenant: loading, chunking, storing and keeping chunk vectors fresh.

    Re-adding an unchanged document does nothing; a changed one is re-chunked and only
    chunks whose text changed are embedded again.
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        index: VectorIndex,
        config: ChunkingConfig | None = None,
        *,
        batch_size: int = 256,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.index = index
        self.documents = DocumentStore(store)
        self.chunker = Chunker(config)
        self.batch_size = batch_size
        """Chunks per step: their documents are written in one transaction, then embedded."""

    # -- adding ----------------------------------------------------------------------------

    def add_paths(
        self, tenant: str, paths: Sequence[Path | str], progress: Progress | None = None
    ) -> KnowledgeReport:
        """Add .txt, .md, .html, .pdf, .docx and .jsonl files; folders are walked."""
        return self.add_documents(tenant, load_paths(paths), progress)

    def add_records(
        self,
        tenant: str,
        records: Iterable[dict[str, Any] | Document],
        progress: Progress | None = None,
    ) -> KnowledgeReport:
        """Add documents given as `{"id", "title", "text", "source", "metadata"}` records."""
        return self.add_documents(tenant, record_documents(records), progress)

    def add_documents(
        self, tenant: str, documents: Sequence[Labelled], progress: Progress | None = None
    ) -> KnowledgeReport:
        """Store `(label, document)` pairs; `progress` advances once per document.

        Every document is checked before anything is written, so bad input writes nothing.
        """
        _check(documents)
        stored = self.documents.document_hashes(tenant, [doc.id for _, doc in documents])
        report = KnowledgeReport()
        changed: list[Document] = []
        for _, document in documents:
            if stored.get(document.id) == document_hash(document, self.chunker.signature):
                report.unchanged += 1
            else:
                changed.append(document)
        if progress and report.unchanged:
            progress(report.unchanged)
        pending: list[tuple[Document, list[Chunk]]] = []
        waiting = 0  # chunks in `pending`
        for position, document in enumerate(changed, start=1):
            chunks = self.chunker.split(document)
            pending.append((document, chunks))
            waiting += len(chunks)
            # Large embedding batches are several times faster per text than small ones.
            if waiting >= self.batch_size or position == len(changed):
                self._store_batch(tenant, pending, stored, report)
                if progress:
                    progress(len(pending))
                pending, waiting = [], 0
        if changed:
            log.info("knowledge added", tenant=tenant, **report.model_dump())
        return report

    def _store_batch(
        self,
        tenant: str,
        entries: list[tuple[Document, list[Chunk]]],
        stored: dict[str, str],
        report: KnowledgeReport,
    ) -> None:
        self.documents.upsert_documents(tenant, entries, chunking=self.chunker.signature)
        report.embedded += self._refresh(tenant, [c for _, chunks in entries for c in chunks])
        report.chunks += sum(len(chunks) for _, chunks in entries)
        for document, _ in entries:
            if document.id in stored:
                report.updated += 1
            else:
                report.added += 1

    def _refresh(
        self, tenant: str, chunks: Sequence[Chunk], progress: Progress | None = None
    ) -> int:
        records = [(chunk.id, embedding_text(chunk)) for chunk in chunks]
        return refresh_vectors(
            self.store, self.embedder, tenant, CHUNK_SPACE, records, progress=progress
        )

    def finish_embedding(self, tenant: str, progress: Progress | None = None) -> int:
        """Embed the chunks an interrupted `add` stored without vectors; returns how many."""
        pending = self.documents.unembedded_chunks(tenant, self.embedder.name)
        return self._refresh(tenant, pending, progress) if pending else 0

    # -- reading and removing -------------------------------------------------------------

    def list(self, tenant: str, limit: int = 50, offset: int = 0) -> Page[DocumentSummary]:
        return self.documents.list_documents(tenant, limit=limit, offset=offset)

    def get(self, tenant: str, document_id: str) -> Document:
        return self.documents.get_document(tenant, document_id)

    def remove(self, tenant: str, document_id: str) -> Deleted:
        """Delete a document with its chunks and their vectors; returns what was removed."""
        return Deleted(deleted=self.documents.delete_document(tenant, document_id))

    # -- retrieval inputs -------------------------------------------------------------------

    def chunk_vectors(self, tenant: str) -> tuple[ChunkIds, np.ndarray]:
        """Ids of the tenant's embedded chunks (sorted) and their unit vectors, row by row."""
        rows = sorted(
            self.store.load_vectors(tenant, CHUNK_SPACE, self.embedder.name),
            key=lambda row: row.ref_id,
        )
        if not rows:
            return [], np.zeros((0, self.embedder.dim), dtype=np.float32)
        matrix = np.vstack([row.vector for row in rows]).astype(np.float32)
        return [row.ref_id for row in rows], matrix

    def dense_search(self, tenant: str, query: str, k: int = 5) -> Hits:
        """Chunks nearest to `query` by embedding alone (a stand-in for the hybrid retriever)."""
        vector = self.embedder.embed([query])[0]
        hits = self.index.search(tenant, CHUNK_SPACE, vector, k)
        # An in-memory index can briefly hold chunks deleted elsewhere: keep stored ones only.
        found = {c.id: c for c in self.documents.get_chunks(tenant, [i for i, _ in hits])}
        return [ChunkHit(found[i], score) for i, score in hits if i in found]


def _check(documents: Sequence[Labelled]) -> None:
    """Reject repeated ids and documents with neither text nor title, naming each
    offending record."""
    errors: list[FieldError] = []
    first: dict[str, str] = {}
    for label, document in documents:
        if document.id in first:
            errors.append(
                FieldError(
                    record=label,
                    field="id",
                    message=f"'{document.id}' is also the id of {first[document.id]}",
                )
            )
        else:
            first[document.id] = label
        if not document.text.strip() and not document.title.strip():
            errors.append(FieldError(record=label, field="text", message="neither text nor title"))
    if errors:
        raise InvalidInput(errors)
