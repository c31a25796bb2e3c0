"""Searching a tenant's knowledge base: chunks ranked by the retriever, grouped by document."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rapport.core.models import Chunk, Schema
from rapport.core.store.freshness import Freshness
from rapport.services.knowledge.base import KnowledgeBase, embedding_text
from rapport.services.search.retriever import HybridRetriever, RetrieverConfig

CHUNK_CANDIDATES = 50  # chunks ranked before grouping, so k distinct documents are found


class DocumentHit(Schema):
    """A document and its best-matching chunk."""

    doc_id: str
    """The document."""
    title: str
    """Its title."""
    score: float
    """Cosine similarity of the chunk to the (feedback-expanded) query."""
    chunk_id: str
    """Its best-matching chunk."""
    chunk: str
    """The best chunk's text."""


class DocumentSearch(Schema):
    """The best documents for one query, best first."""

    query: str
    """As asked."""
    hits: list[DocumentHit]
    """Distinct documents, each with its best chunk, best first."""


@dataclass
class _Index:
    state: tuple[object, ...]
    freshness: Freshness
    retriever: HybridRetriever


class KnowledgeSearch:
    """Chunk retrieval over one hybrid index per tenant, rebuilt when documents change."""

    def __init__(self, kb: KnowledgeBase, config: RetrieverConfig | None = None) -> None:
        self.kb = kb
        self.config = config or RetrieverConfig()
        self._indexes: dict[str, _Index] = {}
        self._lock = threading.Lock()

    def _index(self, tenant: str) -> _Index:
        writes = self.kb.store.writes
        cached = self._indexes.get(tenant)
        if cached and cached.freshness.trusted(writes):
            return cached
        state = self.kb.documents.chunk_state(tenant)
        if cached and cached.state == state:
            cached.freshness.mark(writes)
            return cached
        with self._lock:
            ids, vectors = self.kb.chunk_vectors(tenant)
            chunks = {c.id: c for c in self.kb.documents.get_chunks(tenant, ids)}
            keep = [n for n, i in enumerate(ids) if i in chunks]
            retriever = HybridRetriever(self.config)
            retriever.index(
                [ids[n] for n in keep],
                [embedding_text(chunks[ids[n]]) for n in keep],
                vectors[keep],
            )
            built = _Index(state, Freshness(), retriever)
            built.freshness.mark(writes)
            self._indexes[tenant] = built
            return built

    def rank_chunks(self, tenant: str, query: str, k: int) -> list[tuple[str, float]]:
        """Chunk ids and scores, best first: dense and BM25 cross-checked, then dense search
        with the query moved towards the agreed feedback chunks (hybrid-PRF)."""
        index = self._index(tenant)
        if not len(index.retriever):
            return []
        return index.retriever.search(self.kb.embedder.embed([query])[0], query, k)

    def search(self, tenant: str, query: str, k: int = 5) -> DocumentSearch:
        """The `k` best documents for `query`, each with its best chunk, best first."""
        ranked = self.rank_chunks(tenant, query, max(CHUNK_CANDIDATES, k * 5))
        best: dict[str, tuple[str, float]] = {}
        for chunk_id, score in ranked:
            document_id = chunk_id.rsplit("#", 1)[0]
            if document_id not in best:
                best[document_id] = (chunk_id, score)
            if len(best) == k:
                break
        chunks = {
            c.id: c for c in self.kb.documents.get_chunks(tenant, [c for c, _ in best.values()])
        }
        hits = [
            DocumentHit(
                doc_id=document_id,
                title=str(chunks[chunk_id].metadata.get("title", "")),
                score=score,
                chunk_id=chunk_id,
                chunk=chunks[chunk_id].text,
            )
            for document_id, (chunk_id, score) in best.items()
            if chunk_id in chunks
        ]
        return DocumentSearch(query=query, hits=hits)

    def chunks(self, tenant: str, query: str, k: int) -> list[tuple[Chunk, float]]:
        """The `k` best chunks (several may come from one document)."""
        ranked = self.rank_chunks(tenant, query, k)
        found = {c.id: c for c in self.kb.documents.get_chunks(tenant, [i for i, _ in ranked])}
        return [(found[i], s) for i, s in ranked if i in found]
