"""Searching a tenant's knowledge base: chunks ranked by the retriever, grouped by document."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import structlog

from rapport.core.models import Chunk, Schema
from rapport.core.store.freshness import Freshness
from rapport.services.knowledge.base import KnowledgeBase, embedding_text
from rapport.services.knowledge.choices import ChoiceFiles
from rapport.services.search.autotune import RetrievalChoice, tune, untuned
from rapport.services.search.pseudo_queries import CorpusRow
from rapport.services.search.rerank import make_reranker
from rapport.services.search.retriever import HybridRetriever, RetrieverConfig, TunedSettings

log = structlog.get_logger(__name__)

CHUNK_CANDIDATES = 50  # chunks ranked before grouping, so k distinct documents are found


class DocumentHit(Schema):
    """A document and its best-matching chunk."""

    doc_id: str
    """The document."""
    title: str
    """Its title."""
    score: float
    """Cosine similarity of the chunk to the (feedback-expanded) query, plus the BM25 share
    when the tenant's retrieval settings use one; with a re-ranker, its relevance score for
    the chunks it reordered."""
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


class KnowledgeStats(Schema):
    """What a tenant's knowledge base holds and how it is searched."""

    tenant: str
    """The tenant."""
    documents: int
    """Documents stored."""
    chunks: int
    """Chunks stored."""
    model: str
    """Embedding model of the chunk vectors."""
    settings: TunedSettings
    """Retrieval settings in use."""
    label: str
    """The settings in use, in words."""
    retrieval: RetrievalChoice | None
    """How the settings were chosen on this corpus; None before the first documents."""


@dataclass
class _Corpus:
    ids: list[str]
    texts: list[str]
    documents: list[str]
    vectors: np.ndarray


@dataclass
class _Index:
    state: tuple[object, ...]
    freshness: Freshness
    retriever: HybridRetriever
    texts: dict[str, str]
    """Each chunk's embedding text, kept only when a re-ranker reads them."""


class KnowledgeSearch:
    """Chunk retrieval over one hybrid index per tenant, rebuilt when documents change."""

    def __init__(
        self,
        kb: KnowledgeBase,
        config: RetrieverConfig | None = None,
        choices: ChoiceFiles | None = None,
    ) -> None:
        self.kb = kb
        self.config = config or RetrieverConfig()
        self.choices = choices or ChoiceFiles()
        self._indexes: dict[str, _Index] = {}
        self._lock = threading.Lock()
        self._tuning = threading.Lock()
        reranking = self.config.reranker
        self.reranker = make_reranker(reranking) if reranking.enabled else None

    # -- settings per tenant ------------------------------------------------------------------

    def config_for(self, tenant: str) -> RetrieverConfig:
        """The configured settings with the tenant's chosen ones in place."""
        choice = self.choices.load(tenant)
        usable = (
            choice is not None
            and choice.tuned
            and self.config.autotune.enabled
            and choice.model == self.kb.embedder.name
        )
        return self.config.using(choice.settings) if usable and choice else self.config

    def _stale(self, choice: RetrievalChoice | None, chunks: int) -> bool:
        if choice is None or choice.model != self.kb.embedder.name:
            return True
        if choice.autotune != self.config.autotune.enabled:
            return True
        return abs(chunks - choice.chunks) > self.config.autotune.retune_change * max(
            choice.chunks, 1
        )

    def choose(self, tenant: str, *, force: bool = False) -> RetrievalChoice:
        """The tenant's retrieval settings, chosen again on its corpus when it changed
        materially since the last choice (or when `force`d); cheap otherwise."""
        with self._tuning:
            chunks = self.kb.documents.chunk_state(tenant)[0]
            stored = self.choices.load(tenant)
            if stored is not None and not force and not self._stale(stored, chunks):
                return stored
            model = self.kb.embedder.name
            if not self.config.autotune.enabled:
                choice = untuned(self.config, "configured settings: autotune is off", chunks, model)
            else:
                corpus = self._corpus(tenant)
                retriever = HybridRetriever(self.config)
                retriever.index(corpus.ids, corpus.texts, corpus.vectors, corpus.documents)
                rows = [
                    CorpusRow(document=document, text=text)
                    for document, text in zip(corpus.documents, corpus.texts, strict=True)
                ]
                choice = tune(retriever, rows, self.kb.embedder.embed, self.config.autotune, model)
                log.info(
                    "retrieval settings chosen",
                    tenant=tenant,
                    settings=choice.label,
                    reason=choice.reason,
                    seconds=choice.seconds,
                )
            self.choices.save(tenant, choice)
            self._indexes.pop(tenant, None)
            return choice

    def stats(self, tenant: str) -> KnowledgeStats:
        """Documents, chunks and the retrieval settings of a tenant's knowledge base."""
        config = self.config_for(tenant)
        return KnowledgeStats(
            tenant=tenant,
            documents=self.kb.documents.list_documents(tenant, limit=1).total,
            chunks=self.kb.documents.chunk_state(tenant)[0],
            model=self.kb.embedder.name,
            settings=config.tuned,
            label=config.tuned.label(),
            retrieval=self.choices.load(tenant),
        )

    # -- index --------------------------------------------------------------------------------

    def _corpus(self, tenant: str) -> _Corpus:
        ids, vectors = self.kb.chunk_vectors(tenant)
        chunks = {c.id: c for c in self.kb.documents.get_chunks(tenant, ids)}
        keep = [n for n, i in enumerate(ids) if i in chunks]
        return _Corpus(
            ids=[ids[n] for n in keep],
            texts=[embedding_text(chunks[ids[n]]) for n in keep],
            documents=[chunks[ids[n]].document_id for n in keep],
            vectors=vectors[keep],
        )

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
            corpus = self._corpus(tenant)
            retriever = HybridRetriever(self.config_for(tenant))
            retriever.index(corpus.ids, corpus.texts, corpus.vectors, corpus.documents)
            texts = dict(zip(corpus.ids, corpus.texts, strict=True)) if self.reranker else {}
            built = _Index(state, Freshness(), retriever, texts)
            built.freshness.mark(writes)
            self._indexes[tenant] = built
            return built

    def rank_chunks(self, tenant: str, query: str, k: int) -> list[tuple[str, float]]:
        """Chunk ids and scores, best first: dense and BM25 cross-checked, then dense search
        with the query moved towards the agreed feedback chunks (hybrid-PRF), under the
        tenant's chosen settings; then, with a re-ranker configured, its order and scores
        for the top `depth` chunks."""
        index = self._index(tenant)
        if not len(index.retriever):
            return []
        vector = self.kb.embedder.embed([query])[0]
        if self.reranker is None:
            return index.retriever.search(vector, query, k)
        hits = index.retriever.search(vector, query, max(k, self.reranker.config.depth))
        return self.reranker.rerank(query, hits, index.texts.__getitem__)[:k]

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
