"""`HybridRetriever`: dense + BM25 retrieval with cross-checked pseudo-relevance feedback.

One query, `search` ("hybrid-PRF"):

1. Dense cosine scores `E @ q` over every chunk, and BM25 scores over Snowball-stemmed,
   stopword-free tokens (bm25s, Lucene variant).
2. Lexical trust: how far the two retrievers agree on this query, the share of the dense
   top-`agreement_depth` chunks that BM25 also ranks there, scaled so `full_agreement`
   counts as full trust. A query that shares few words with its answers (a paraphrase, a
   question in other words) gets little of BM25's weight in the steps below.
3. Reciprocal-rank fusion (k=60) of the two top-`fusion_depth` lists, BM25's list weighted
   `feedback_bm25_weight` x trust, used only to choose `prf_depth` feedback chunks: a chunk
   both retrievers rank high is a more reliable pseudo-positive than the top hit of either.
   Each comes from another document (when the index knows chunks' documents): a document's
   second chunk is no new evidence of what the query is about.
4. Average vector PRF: `q' = normalise(w q + d1 + ... + dn)`; the final score is `E @ q'` plus
   (`bm25_weight` + `long_query_bm25` x (1 - 1 / w)) x trust x the max-normalised BM25 score.
5. Optionally (chosen per corpus) score smoothing over the chunk kNN graph:
   s' = (1 - a / w) s + a / w x the mean score of the chunk's `smooth_neighbours` nearest
   chunks; with `smooth_feedback` the dense ranking of step 3 is smoothed the same way first.

`w`, the query's evidence, is 1 for a query no longer than the corpus's median chunk and its
length in median chunks for a longer one (an abstract asked against short entries): feedback
and smoothing add pseudo-evidence to a query that says little, and a query that says more than
a chunk needs less of it. On a tag corpus searched with whole abstracts, equal weights let three
short tags outweigh the abstract (see docs/knowledge.md).

The defaults are the published setting (RRF k=60, Cormack et al. 2009; average PRF depth 3,
Li et al. 2022 / Pyserini; bm25s k1=1.5, b=0.75): nothing was fitted to relevance judgements.
`AutotuneConfig.candidates` lists the settings `services/search/autotune.py` chooses from
per corpus, on pseudo-queries drawn from the corpus itself, because the right amount of BM25
and feedback depends on the corpus: feedback helps topical queries with many relevant chunks
and hurts known-item look-ups; BM25 helps where queries share the corpus's words and hurts
where they do not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer
from pydantic import Field
from threadpoolctl import ThreadpoolController

from rapport.core.components import ComponentConfig
from rapport.core.vectors.embedder import normalise
from rapport.services.search.rerank import RerankerConfig

Hit = tuple[str, float]

# Built once: constructing a controller scans every loaded library, too slow per query.
_THREADPOOLS: ThreadpoolController | None = None


@contextmanager
def blas_threads(limit: int) -> Iterator[None]:
    """Limit BLAS threads: a query is a few memory-bound mat-vecs, and on a busy 2-core host
    multi-threaded OpenBLAS took 11-25 ms for one 5000x384 mat-vec against ~1 ms on one."""
    global _THREADPOOLS
    if _THREADPOOLS is None:
        _THREADPOOLS = ThreadpoolController()
    with _THREADPOOLS.limit(limits=limit, user_api="blas"):
        yield


class TunedSettings(ComponentConfig):
    """The retriever settings chosen per corpus."""

    prf_depth: int = Field(ge=0)
    """Feedback chunks averaged into the query vector; 0 gives no feedback."""
    feedback_bm25_weight: float = Field(default=1.0, ge=0)
    """Weight of BM25's ranking, next to the dense ranking's 1, in the fusion that picks
    feedback chunks; 0 takes the dense top chunks as feedback."""
    bm25_weight: float = Field(default=0.0, ge=0)
    """Share of the max-normalised BM25 score added to the cosine in the final ranking."""
    smooth_neighbours: int = Field(default=0, ge=0)
    """Nearest chunks (by vector) whose final scores are averaged into a chunk's own (score
    smoothing over the chunk kNN graph, the cluster hypothesis); 0 gives none."""
    smooth_weight: float = Field(default=0.0, ge=0, le=1)
    """Weight a of that average: s' = (1 - a) s + a mean(neighbours' s)."""
    smooth_feedback: bool = False
    """Smooth the first dense ranking too, the one feedback chunks are picked from: a chunk
    whose neighbours also match the query is a more reliable pseudo-positive."""

    @property
    def smoothing(self) -> bool:
        return self.smooth_neighbours > 0 and self.smooth_weight > 0

    @property
    def plain_dense(self) -> bool:
        """No feedback, no BM25 and no smoothing: the ranking is cosine similarity alone."""
        return self.prf_depth == 0 and self.bm25_weight == 0 and not self.smoothing

    def label(self) -> str:
        if self.plain_dense:
            return "plain dense"
        parts = []
        if self.prf_depth:
            parts.append(f"PRF depth {self.prf_depth}, feedback BM25 {self.feedback_bm25_weight:g}")
        if self.bm25_weight:
            parts.append(f"BM25 share {self.bm25_weight:g}")
        if self.smoothing:
            parts.append(f"kNN smoothing {self.smooth_weight:g} over {self.smooth_neighbours}")
            if self.smooth_feedback and self.prf_depth:
                parts[-1] += " (feedback too)"
        return ", ".join(parts) if parts else "plain dense"


PLAIN_DENSE = TunedSettings(prf_depth=0, feedback_bm25_weight=0.0)
SMOOTHING = (
    (10, 0.1),
    (10, 0.2),
    (10, 0.3),
)
"""(neighbours, weight) pairs of score smoothing a corpus may add to its chosen settings."""
PREFERENCES = (
    TunedSettings(prf_depth=3, feedback_bm25_weight=1.0),
    TunedSettings(prf_depth=3, feedback_bm25_weight=0.5),
    TunedSettings(prf_depth=3, feedback_bm25_weight=0.0),
    TunedSettings(prf_depth=1, feedback_bm25_weight=0.0),
)
"""Settings a corpus may choose, most preferred first: the published hybrid-PRF, then less
BM25 in the feedback, then less feedback. Plain dense search comes after all of them."""


class AutotuneConfig(ComponentConfig):
    """How the knowledge base chooses its retrieval settings (`[retriever.autotune]`)."""

    enabled: bool = True
    """Choose the settings per tenant corpus; False keeps the configured ones."""
    candidates: tuple[TunedSettings, ...] = PREFERENCES
    """Settings tried, most preferred first; plain dense search is always the last resort."""
    tolerance: float = Field(default=0.15, ge=0, le=1)
    """Share of plain dense search's known-item nDCG@10 on the pseudo-queries by which a
    candidate may trail it and still be chosen: pseudo-queries have one answer each and
    under-rate feedback (by 4-10% on msmarco-5k, where feedback wins on real questions;
    see `autotune.py`); a setting that breaks on the corpus trails by more."""
    pseudo_queries: int = Field(default=400, ge=10)
    """Pseudo-queries drawn (one sentence from each of this many documents)."""
    min_pseudo_queries: int = Field(default=50, ge=10)
    """Fewer usable ones (a small corpus, documents of one sentence) and the configured
    settings stay."""
    seed: int = 0
    """Which documents and sentences are drawn; the same corpus gives the same choice."""
    smoothing: tuple[tuple[int, float], ...] = SMOOTHING
    """Score smoothing tried on top of the chosen settings (see `autotune.py`); empty: none."""
    topical_queries: int = Field(default=100, ge=0)
    """Topical pseudo-queries (a cluster of the corpus, asked for by its distinctive words)
    that decide on smoothing."""
    min_topical_queries: int = Field(default=20, ge=2)
    """Fewer topical pseudo-queries (a small corpus) and no smoothing is tried."""
    smooth_tolerance: float = Field(default=0.15, ge=0, le=1)
    """Share of plain dense search's known-item nDCG@10 by which a smoothed setting may trail
    it and still be chosen (the guard `tolerance` sets for the other candidates)."""
    max_smoothing_chunks: int = Field(default=50_000, ge=0)
    """Larger knowledge bases are not offered smoothing: its exact kNN graph costs chunks²
    products, built again with every index."""
    retune_change: float = Field(default=0.2, gt=0)
    """Settings are chosen again once the number of chunks moved by this share since the
    last choice (not on every added document)."""


class RetrieverConfig(ComponentConfig):
    """Settings of the hybrid retriever (the `[retriever]` settings section); the defaults
    are the published ones. The knowledge base replaces the `TunedSettings` fields by the
    values it chooses for each tenant's corpus (`rapport kb stats` shows them)."""

    rrf_k: int = Field(default=60, ge=1)
    """Reciprocal-rank fusion constant: a list's rank r contributes 1 / (rrf_k + r)."""
    fusion_depth: int = Field(default=100, ge=1)
    """How many top results of each retriever enter the fusion."""
    prf_depth: int = Field(default=3, ge=0)
    """Feedback chunks averaged into the query vector; 0 gives no feedback."""
    feedback_bm25_weight: float = Field(default=1.0, ge=0)
    """Weight of BM25's ranking, next to the dense ranking's 1, in the fusion that picks
    feedback chunks; 0 takes the dense top chunks as feedback."""
    bm25_weight: float = Field(default=0.0, ge=0)
    """Share of the max-normalised BM25 score added to the cosine in the final ranking."""
    long_query_bm25: float = Field(default=0.2, ge=0)
    """Share of the max-normalised BM25 score added for a query longer than the median
    chunk, times (1 - 1 / its evidence) and the lexical trust: its many words are evidence
    BM25 can match (measured on Semanlink tags, docs/benchmarks.md; 0.1 and 0.3 score the
    same). Shorter queries get none."""
    smooth_neighbours: int = Field(default=0, ge=0)
    """Nearest chunks whose final scores are averaged into a chunk's own; 0 gives none."""
    smooth_weight: float = Field(default=0.0, ge=0, le=1)
    """Weight of that average in the final score."""
    smooth_feedback: bool = False
    """Smooth the dense ranking feedback chunks are picked from as well."""
    agreement_depth: int = Field(default=20, ge=1)
    """Top chunks of each retriever compared to measure how far they agree on a query."""
    full_agreement: float = Field(default=0.3, ge=0, le=1)
    """Agreement (shared share of the top `agreement_depth`) from which BM25 gets its full
    weights; below it they shrink in proportion. 0 always trusts BM25 fully."""
    bm25_k1: float = Field(default=1.5, gt=0)
    """BM25 term-frequency saturation."""
    bm25_b: float = Field(default=0.75, ge=0, le=1)
    """BM25 document-length normalisation."""
    stem_language: str | None = "english"
    """Snowball stemmer language for BM25 tokens (PyStemmer); None disables stemming."""
    stopwords: str | None = "en"
    """bm25s stopword list removed from BM25 tokens; None keeps every token."""
    blas_threads: int = Field(default=1, ge=1)
    """BLAS threads while answering a query."""
    autotune: AutotuneConfig = AutotuneConfig()
    """How the knowledge base chooses the `TunedSettings` for each corpus."""
    reranker: RerankerConfig = RerankerConfig()
    """An optional re-ranker (a server or a local cross-encoder) for the knowledge base's top
    chunks (`rerank.py`)."""

    @property
    def plain_dense(self) -> bool:
        """No feedback and no BM25: the ranking is cosine similarity alone."""
        return self.tuned.plain_dense

    @property
    def tuned(self) -> TunedSettings:
        """The settings a corpus may choose, as they are here."""
        return TunedSettings(
            prf_depth=self.prf_depth,
            feedback_bm25_weight=self.feedback_bm25_weight,
            bm25_weight=self.bm25_weight,
            smooth_neighbours=self.smooth_neighbours,
            smooth_weight=self.smooth_weight,
            smooth_feedback=self.smooth_feedback,
        )

    def using(self, settings: TunedSettings) -> RetrieverConfig:
        """This config with `settings` in place of its own."""
        return self.model_copy(update=settings.model_dump())


@dataclass(frozen=True)
class PreparedQuery:
    """What every candidate setting ranks from: one query's dense and BM25 scores
    over the candidate rows, the two top lists and the lexical trust."""

    vector: np.ndarray
    dense: np.ndarray
    """Cosine of every chunk (all rows, also those not allowed)."""
    lexical: np.ndarray | None
    """BM25 score of every chunk, or None when no setting needs it."""
    rows: np.ndarray | None
    """Rows the query may return; None means all."""
    dense_top: np.ndarray
    lexical_top: np.ndarray
    trust: float
    """Lexical trust in [0, 1] (see the module docstring)."""
    evidence: float = 1.0
    """The query's weight `w` against one feedback chunk (see the module docstring)."""


class HybridRetriever:
    """An in-memory index of chunk vectors and BM25 postings, answering hybrid-PRF queries.

    Read-only after `index`, so one instance can serve concurrent queries.
    """

    def __init__(self, config: RetrieverConfig | None = None) -> None:
        self.config = config or RetrieverConfig()
        language = self.config.stem_language
        self._stemmer = Stemmer.Stemmer(language) if language else None
        self.ids: list[str] = []
        self.documents: list[str] | None = None
        """Each row's document, when rows are chunks of documents."""
        self._rows: dict[str, int] = {}
        self.vectors = np.zeros((0, 0), dtype=np.float32)
        self.median_words = 1.0
        """Words in the median chunk: what a query's length is measured against."""
        self._bm25: bm25s.BM25 | None = None
        # Shared (by reference) with `with_config` copies: the graph is built once per index.
        self._graphs: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.ids)

    # -- indexing ----------------------------------------------------------------------------

    def index(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        vectors: np.ndarray,
        documents: Sequence[str] | None = None,
    ) -> None:
        """Replace the index with these chunks; `vectors` holds one unit row per chunk, and
        `documents` (optional) the document each chunk belongs to."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if not len(ids) == len(texts) == vectors.shape[0]:
            raise ValueError(
                f"{len(ids)} ids, {len(texts)} texts and {vectors.shape[0]} vectors differ"
            )
        if documents is not None and len(documents) != len(ids):
            raise ValueError(f"{len(ids)} ids but {len(documents)} documents")
        rows = {chunk_id: row for row, chunk_id in enumerate(ids)}
        if len(rows) != len(ids):
            raise ValueError("chunk ids repeat")
        self.ids = list(ids)
        self.documents = None if documents is None else list(documents)
        self.median_words = float(np.median([len(text.split()) for text in texts] or [1]))
        self._rows = rows
        self.vectors = np.ascontiguousarray(normalise(vectors)) if len(ids) else vectors
        self._bm25 = None
        self._graphs = {}
        if not ids:
            return
        if self.config.tuned.smoothing:  # built now, not on the first query
            self.neighbours(self.config.smooth_neighbours)
        tokens = self._tokenize(list(texts), return_ids=True)
        if not tokens.vocab:  # type: ignore[attr-defined]
            return  # nothing but stopwords: BM25 would divide by a zero mean length
        bm25 = bm25s.BM25(k1=self.config.bm25_k1, b=self.config.bm25_b)
        bm25.index(tokens, show_progress=False)
        self._bm25 = bm25

    def with_config(self, config: RetrieverConfig) -> HybridRetriever:
        """The same index under other query-time settings (BM25 parameters must match)."""
        if (config.bm25_k1, config.bm25_b, config.stem_language, config.stopwords) != (
            self.config.bm25_k1,
            self.config.bm25_b,
            self.config.stem_language,
            self.config.stopwords,
        ):
            raise ValueError("BM25 indexing settings differ: index again instead")
        other = HybridRetriever.__new__(HybridRetriever)
        other.__dict__.update(self.__dict__)
        other.config = config
        return other

    def _tokenize(self, texts: list[str], return_ids: bool) -> object:
        return bm25s.tokenize(
            texts,
            stopwords=self.config.stopwords or [],
            stemmer=self._stemmer,
            return_ids=return_ids,
            show_progress=False,
        )

    def neighbours(self, k: int) -> np.ndarray:
        """Each chunk's `k` nearest other chunks by cosine (rows x k), built once per index
        in blocks so memory stays at block x chunks."""
        k = min(k, len(self.ids) - 1)
        graph = self._graphs.get(k)
        if graph is not None:
            return graph
        graph = np.zeros((len(self.ids), max(k, 0)), dtype=np.int64)
        if k > 0:
            block = 1024
            for start in range(0, len(self.ids), block):
                sims = self.vectors[start : start + block] @ self.vectors.T
                own = np.arange(sims.shape[0])
                sims[own, start + own] = -np.inf  # a chunk is not its own neighbour
                graph[start : start + block] = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        self._graphs[k] = graph
        return graph

    # -- scores ------------------------------------------------------------------------------

    def _dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.vectors.shape[1]:
            raise ValueError(
                f"query vector has {query.shape[0]} dimensions, the index {self.vectors.shape[1]}"
            )
        return self.vectors @ query

    def bm25_scores(self, query_text: str) -> np.ndarray:
        """BM25 score of every chunk for `query_text` (zeros without a lexical index)."""
        if self._bm25 is None:
            return np.zeros(len(self.ids), dtype=np.float32)
        tokens = self._tokenize([query_text], return_ids=False)[0]  # type: ignore[index]
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def _candidates(self, allowed: set[str] | None) -> np.ndarray | None:
        """Rows a query may return: None means all of them."""
        if allowed is None:
            return None
        return np.fromiter((self._rows[i] for i in allowed if i in self._rows), dtype=np.int64)

    @staticmethod
    def top_rows(
        scores: np.ndarray, n: int, rows: np.ndarray | None, positive: bool = False
    ) -> np.ndarray:
        """Rows of the `n` best scores, best first, among `rows` (all when None)."""
        pool = scores if rows is None else scores[rows]
        if positive:  # a chunk sharing no query term is no lexical hit at all
            keep = np.flatnonzero(pool > 0)
            rows = keep if rows is None else rows[keep]
            pool = pool[keep]
        n = min(n, pool.shape[0])
        if n <= 0:
            return np.zeros(0, dtype=np.int64)
        best = np.argpartition(-pool, n - 1)[:n]
        best = best[np.argsort(-pool[best], kind="stable")]
        return best if rows is None else rows[best]

    def _fuse(
        self, rankings: Sequence[np.ndarray], weights: Sequence[float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        fused: dict[int, float] = {}
        for number, ranking in enumerate(rankings):
            weight = 1.0 if weights is None else weights[number]
            if weight <= 0:
                continue
            for rank, row in enumerate(ranking.tolist(), start=1):
                fused[row] = fused.get(row, 0.0) + weight / (self.config.rrf_k + rank)
        order = sorted(fused, key=lambda row: (-fused[row], row))
        return np.array(order, dtype=np.int64), np.array([fused[r] for r in order])

    def _hits(self, rows: np.ndarray, scores: np.ndarray) -> list[Hit]:
        return [(self.ids[row], float(score)) for row, score in zip(rows, scores, strict=True)]

    # -- hybrid-PRF in steps (shared by `search` and the per-corpus tuning) -------------------

    def prepare(
        self,
        query_vector: np.ndarray,
        query_text: str,
        allowed: set[str] | None = None,
        *,
        dense: np.ndarray | None = None,
        lexical: bool | None = None,
    ) -> PreparedQuery:
        """Scores and top lists of one query; `dense` passes precomputed cosines; `lexical`
        forces (or skips) BM25, which by default runs only when this config uses it."""
        config = self.config
        vector = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        rows = self._candidates(allowed)
        cosines = self._dense_scores(vector) if dense is None else dense
        if lexical is None:
            lexical = not config.plain_dense
        depth = max(config.fusion_depth, config.agreement_depth)
        dense_top = self.top_rows(cosines, depth, rows)
        evidence = max(1.0, len(query_text.split()) / max(self.median_words, 1.0))
        if not lexical:
            empty = np.zeros(0, dtype=np.int64)
            return PreparedQuery(vector, cosines, None, rows, dense_top, empty, 0.0, evidence)
        scores = self.bm25_scores(query_text)
        lexical_top = self.top_rows(scores, depth, rows, positive=True)
        agree = config.agreement_depth
        shared = np.intersect1d(dense_top[:agree], lexical_top[:agree]).size / agree
        trust = 1.0 if config.full_agreement == 0 else min(1.0, shared / config.full_agreement)
        return PreparedQuery(vector, cosines, scores, rows, dense_top, lexical_top, trust, evidence)

    def feedback_rows(self, query: PreparedQuery) -> np.ndarray:
        """The `prf_depth` feedback chunks: the top of the dense ranking fused with BM25's."""
        config = self.config
        if config.prf_depth == 0:
            return np.zeros(0, dtype=np.int64)
        depth = config.fusion_depth
        dense_top = query.dense_top[:depth]
        if config.smooth_feedback and config.tuned.smoothing:
            # Feedback is a topical step too: chunks whose neighbours also match the query
            # are more reliable pseudo-positives than a lone close chunk (the cluster
            # hypothesis, as in the final ranking).
            dense_top = self.top_rows(self.smooth(query.dense, query.evidence), depth, query.rows)
        weight = config.feedback_bm25_weight * query.trust
        fused, _ = self._fuse([dense_top, query.lexical_top[:depth]], [1.0, weight])
        if self.documents is None:
            return fused[: config.prf_depth]
        seen: set[str] = set()
        picked: list[int] = []
        for row in fused.tolist():
            if self.documents[row] not in seen:
                seen.add(self.documents[row])
                picked.append(row)
                if len(picked) == config.prf_depth:
                    break
        return np.array(picked, dtype=np.int64)

    def expand(self, query: PreparedQuery, feedback: np.ndarray) -> np.ndarray:
        """Average PRF: the query weighs its evidence, each feedback vector 1."""
        if not feedback.size:
            return query.vector
        expanded = query.evidence * query.vector + self.vectors[feedback].sum(axis=0)
        return expanded / max(float(np.linalg.norm(expanded)), 1e-12)

    def final_scores(self, query: PreparedQuery, cosines: np.ndarray) -> np.ndarray:
        """Cosines to the expanded query plus the trusted BM25 share, smoothed over the
        chunk kNN graph when the settings ask for it."""
        scores = cosines
        share = self.config.bm25_weight + self.config.long_query_bm25 * (1 - 1 / query.evidence)
        weight = share * query.trust
        top = 0.0 if query.lexical is None else float(query.lexical.max(initial=0.0))
        if weight > 0 and query.lexical is not None and top > 0:
            scores = cosines + np.float32(weight / top) * query.lexical
        return self.smooth(scores, query.evidence)

    def smooth(self, scores: np.ndarray, evidence: float = 1.0) -> np.ndarray:
        """s' = (1 - a) s + a mean(s of the chunk's nearest chunks), a the smoothing weight
        over the query's evidence: a chunk whose neighbours also match the query rises (the
        cluster hypothesis)."""
        config = self.config
        if config.smooth_neighbours == 0 or config.smooth_weight == 0 or len(self.ids) < 2:
            return scores
        graph = self.neighbours(config.smooth_neighbours)
        weight = np.float32(config.smooth_weight / evidence)
        return (1 - weight) * scores + weight * scores[graph].mean(axis=1, dtype=np.float32)

    # -- queries -----------------------------------------------------------------------------

    def dense(self, query_vector: np.ndarray, k: int, allowed: set[str] | None = None) -> list[Hit]:
        """Nearest chunks by cosine similarity alone."""
        if not self.ids:
            return []
        with blas_threads(self.config.blas_threads):
            scores = self._dense_scores(query_vector)
            top = self.top_rows(scores, k, self._candidates(allowed))
        return self._hits(top, scores[top])

    def bm25(self, query_text: str, k: int, allowed: set[str] | None = None) -> list[Hit]:
        """Chunks by BM25 score; chunks sharing no term with the query are left out."""
        if not self.ids:
            return []
        scores = self.bm25_scores(query_text)
        top = self.top_rows(scores, k, self._candidates(allowed), positive=True)
        return self._hits(top, scores[top])

    def rrf(
        self,
        query_vector: np.ndarray,
        query_text: str,
        k: int,
        allowed: set[str] | None = None,
    ) -> list[Hit]:
        """Reciprocal-rank fusion of the dense and BM25 rankings."""
        if not self.ids:
            return []
        rows = self._candidates(allowed)
        depth = max(k, self.config.fusion_depth)
        with blas_threads(self.config.blas_threads):
            dense = self.top_rows(self._dense_scores(query_vector), depth, rows)
        lexical = self.top_rows(self.bm25_scores(query_text), depth, rows, positive=True)
        fused, scores = self._fuse([dense, lexical])
        return self._hits(fused[:k], scores[:k])

    def search(
        self,
        query_vector: np.ndarray,
        query_text: str,
        k: int,
        allowed: set[str] | None = None,
    ) -> list[Hit]:
        """Hybrid-PRF: the `k` best chunks (among `allowed` ones, if given), best first, with
        their cosine similarity to the feedback-expanded query (plus the BM25 share, when
        `bm25_weight` is set)."""
        if not self.ids:
            return []
        with blas_threads(self.config.blas_threads):
            query = self.prepare(query_vector, query_text, allowed)
            feedback = self.feedback_rows(query)
            cosines = self.vectors @ self.expand(query, feedback) if feedback.size else query.dense
            scores = self.final_scores(query, cosines)
            top = self.top_rows(scores, k, query.rows)
        return self._hits(top, scores[top])
