"""`DocumentStore`: knowledge-base documents and their chunks, on the `Store`'s database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select

from rapport.core.errors import NotFound
from rapport.core.models import Chunk, Document, Page, Schema, content_hash, utcnow
from rapport.core.store.repository import Progress, Store, _chunks
from rapport.core.store.schema import chunks, documents, vectors

CHUNK_SPACE = "chunk"


def document_hash(document: Document, chunking: str = "") -> str:
    """Hash of everything stored about a document, chunks included (`chunking` names how they
    were cut): equal hashes mean nothing to rewrite."""
    canonical = {
        "title": document.title,
        "text": document.text,
        "source": document.source,
        "metadata": document.metadata,
        "chunking": chunking,
    }
    return content_hash(json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=str))


class DocumentSummary(Schema):
    """One row of a document listing: everything but the text."""

    id: str
    """Unique per tenant."""
    title: str
    """Shown in citations."""
    source: str
    """Where it came from."""
    metadata: dict[str, Any]
    """Kept with the document."""
    content_hash: str
    """Hash of everything stored about it: equal hashes mean nothing to rewrite."""
    characters: int
    """Length of the document text."""
    chunks: int
    """How many chunks the document was split into."""
    created_at: datetime
    """When first added."""
    updated_at: datetime
    """When last changed."""


class DocumentStore:
    """Documents and chunks of each tenant's knowledge base. Each public write is one
    transaction, so a document is never seen with half of its chunks."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- writes ----------------------------------------------------------------------------

    def upsert_document(
        self,
        tenant: str,
        document: Document,
        document_chunks: Sequence[Chunk],
        chunking: str = "",
    ) -> None:
        """Create or replace one document and replace all of its chunks."""
        self.upsert_documents(tenant, [(document, document_chunks)], chunking=chunking)

    def upsert_documents(
        self,
        tenant: str,
        entries: Sequence[tuple[Document, Sequence[Chunk]]],
        progress: Progress | None = None,
        chunking: str = "",
    ) -> int:
        """Create or replace `(document, chunks)` entries in one transaction; `chunking` names
        how the chunks were cut (see `document_hash`).

        Vectors of chunks that no longer exist are deleted; those of chunks that remain are
        left for `refresh_vectors`, which re-embeds only the ones whose text changed.
        """
        now = utcnow()
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            for document, document_chunks in entries:
                self._write(conn, tenant, document, document_chunks, now, chunking)
                if progress:
                    progress(1)
        return len(entries)

    def _write(
        self,
        conn: Connection,
        tenant: str,
        document: Document,
        document_chunks: Sequence[Chunk],
        now: datetime,
        chunking: str,
    ) -> None:
        row = {
            "tenant_id": tenant,
            "id": document.id,
            "title": document.title,
            "source": document.source,
            "text": document.text,
            "metadata": document.metadata,
            "content_hash": document_hash(document, chunking),
            "created_at": now,
            "updated_at": now,
        }
        self.store._upsert(conn, documents, [row], ["tenant_id", "id"], keep=["created_at"])
        old = set(self._chunk_ids(conn, tenant, document.id))
        conn.execute(
            delete(chunks).where(chunks.c.tenant_id == tenant, chunks.c.document_id == document.id)
        )
        rows = [
            {
                "tenant_id": tenant,
                "id": chunk.id,
                "document_id": document.id,
                "position": chunk.position,
                "text": chunk.text,
                "metadata": chunk.metadata,
            }
            for chunk in document_chunks
        ]
        for part in _chunks(rows):
            conn.execute(chunks.insert(), list(part))
        self._delete_vectors(conn, tenant, sorted(old - {c.id for c in document_chunks}))

    def delete_document(self, tenant: str, document_id: str) -> dict[str, int]:
        """Remove a document, its chunks and every vector of those chunks."""
        with self.engine.begin() as conn:
            ids = self._chunk_ids(conn, tenant, document_id)
            removed_vectors = self._delete_vectors(conn, tenant, ids)
            removed_chunks = conn.execute(
                delete(chunks).where(
                    chunks.c.tenant_id == tenant, chunks.c.document_id == document_id
                )
            ).rowcount
            removed = conn.execute(
                delete(documents).where(
                    documents.c.tenant_id == tenant, documents.c.id == document_id
                )
            ).rowcount
            if not removed:
                raise NotFound("document", document_id)
        return {"documents": removed, "chunks": removed_chunks, "vectors": removed_vectors}

    def _chunk_ids(self, conn: Connection, tenant: str, document_id: str) -> list[str]:
        return list(
            conn.scalars(
                select(chunks.c.id).where(
                    chunks.c.tenant_id == tenant, chunks.c.document_id == document_id
                )
            )
        )

    def _delete_vectors(self, conn: Connection, tenant: str, chunk_ids: Sequence[str]) -> int:
        # Vectors of every model: a chunk that is gone has no use for any of them.
        removed = 0
        for part in _chunks(list(chunk_ids)):
            removed += conn.execute(
                delete(vectors).where(
                    vectors.c.tenant_id == tenant,
                    vectors.c.space == CHUNK_SPACE,
                    vectors.c.ref_id.in_(part),
                )
            ).rowcount
        return removed

    # -- reads -----------------------------------------------------------------------------

    def get_document(self, tenant: str, document_id: str) -> Document:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(documents).where(
                    documents.c.tenant_id == tenant, documents.c.id == document_id
                )
            ).first()
        if row is None:
            raise NotFound("document", document_id)
        return Document.model_construct(
            id=row.id, title=row.title, text=row.text, source=row.source, metadata=row.metadata
        )

    def list_documents(
        self, tenant: str, *, limit: int = 50, offset: int = 0
    ) -> Page[DocumentSummary]:
        """Documents ordered by id, with their chunk counts."""
        counts = (
            select(chunks.c.document_id, func.count().label("n"))
            .where(chunks.c.tenant_id == tenant)
            .group_by(chunks.c.document_id)
            .subquery()
        )
        statement = (
            select(
                documents.c.id,
                documents.c.title,
                documents.c.source,
                documents.c.metadata,
                documents.c.content_hash,
                func.length(documents.c.text).label("characters"),
                func.coalesce(counts.c.n, 0).label("chunks"),
                documents.c.created_at,
                documents.c.updated_at,
            )
            .select_from(documents.outerjoin(counts, counts.c.document_id == documents.c.id))
            .where(documents.c.tenant_id == tenant)
            .order_by(documents.c.id)
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            total = (
                conn.scalar(
                    select(func.count())
                    .select_from(documents)
                    .where(documents.c.tenant_id == tenant)
                )
                or 0
            )
            found = [
                DocumentSummary.model_validate(row._asdict()) for row in conn.execute(statement)
            ]
        return Page[DocumentSummary](items=found, total=total, limit=limit, offset=offset)

    def document_hashes(self, tenant: str, ids: Sequence[str]) -> dict[str, str]:
        """Stored content hash of each of these documents that exists."""
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for part in _chunks(list(dict.fromkeys(ids))):
                rows = conn.execute(
                    select(documents.c.id, documents.c.content_hash).where(
                        documents.c.tenant_id == tenant, documents.c.id.in_(part)
                    )
                )
                found.update((row.id, row.content_hash) for row in rows)
        return found

    def all_chunks(self, tenant: str) -> list[Chunk]:
        """Every chunk of the tenant, ordered by document and position."""
        statement = (
            select(chunks)
            .where(chunks.c.tenant_id == tenant)
            .order_by(chunks.c.document_id, chunks.c.position)
        )
        with self.engine.connect() as conn:
            return [_row_chunk(row) for row in conn.execute(statement)]

    def unembedded_chunks(self, tenant: str, model: str) -> list[Chunk]:
        """Chunks without a vector from `model`, ordered by document and position."""
        statement = self.store.unembedded(tenant, model, CHUNK_SPACE, chunks).order_by(
            chunks.c.document_id, chunks.c.position
        )
        with self.engine.connect() as conn:
            return [_row_chunk(row) for row in conn.execute(statement)]

    def get_chunks(self, tenant: str, ids: Sequence[str]) -> list[Chunk]:
        """Chunks with these ids, in the given order; unknown ids are left out."""
        by_id: dict[str, Chunk] = {}
        with self.engine.connect() as conn:
            for part in _chunks(list(dict.fromkeys(ids))):
                rows = conn.execute(
                    select(chunks).where(chunks.c.tenant_id == tenant, chunks.c.id.in_(part))
                )
                by_id.update((row.id, _row_chunk(row)) for row in rows)
        return [by_id[i] for i in ids if i in by_id]

    def chunk_state(self, tenant: str) -> tuple[int, datetime | None, datetime | None]:
        """(chunk count, newest document update, newest chunk vector): cheap change
        detection for caches.

        Every write bumps a document's `updated_at`, every delete lowers the count, and
        embedding chunks later (after an interrupted add) bumps the newest vector, so any
        change to the tenant's searchable chunks changes this triple.
        """
        with self.engine.connect() as conn:
            count = conn.scalar(
                select(func.count()).select_from(chunks).where(chunks.c.tenant_id == tenant)
            )
            newest = conn.scalar(
                select(func.max(documents.c.updated_at)).where(documents.c.tenant_id == tenant)
            )
            embedded = conn.scalar(
                select(func.max(vectors.c.updated_at)).where(
                    vectors.c.tenant_id == tenant, vectors.c.space == CHUNK_SPACE
                )
            )
        return int(count or 0), newest, embedded


def _row_chunk(row: Any) -> Chunk:
    return Chunk.model_construct(
        id=row.id,
        document_id=row.document_id,
        position=row.position,
        text=row.text,
        metadata=row.metadata,
    )
