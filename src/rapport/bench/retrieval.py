"""`rapport bench retrieval` / `rapport eval retrieval`: rapport's retriever, with the settings
it chooses for the corpus itself (no judgement seen), against its peers (BM25, dense, RRF) from
one index on a BEIR folder, plus query latency. The corpus is chunked as `kb add` chunks it,
and a document takes the place of its best chunk, as `kb search` answers.

`queries` picks which judged queries are scored: all, or one half by a hash of the query id.
The "tuning" half of msmarco-5k is the one the method's design was checked on while it was
built (candidate settings, tolerance, lexical trust); the "held-out" half was not looked at
until the method was fixed."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from rapport.bench.progress import Bars, no_bars
from rapport.core.config import Settings
from rapport.core.models import Document, Schema
from rapport.core.vectors.embedder import Embedder
from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.core.vectors.model_files import MINILM
from rapport.core.vectors.onnx_runtime import OnnxEmbedder
from rapport.engine.services import section
from rapport.evaluation.beir import BeirData, RetrievalMetrics, evaluate_run, load_beir, per_query
from rapport.evaluation.peers import ratio_interval
from rapport.services.knowledge.base import embedding_text
from rapport.services.knowledge.chunking import Chunker, ChunkingConfig
from rapport.services.search.autotune import RetrievalChoice, tune
from rapport.services.search.pseudo_queries import CorpusRow
from rapport.services.search.rerank import RerankerConfig, make_reranker
from rapport.services.search.retriever import (
    AutotuneConfig,
    Hit,
    HybridRetriever,
    RetrieverConfig,
    TunedSettings,
)

QuerySet = Literal["all", "tuning", "held-out"]

BACKENDS = ("torch", "onnx-fp32", "onnx-int8")
DEPTH = 100
"""Results per query: Recall@100 needs a hundred."""


def default_cache_dir() -> Path:
    return Settings.load().data / "cache"


def make_backend(backend: str, cache_dir: Path, batch_size: int = 32) -> Embedder:
    """MiniLM on torch (sentence-transformers), ONNX fp32 (the default embedder) or ONNX
    int8, by the names of `embedding_provider` (whose `onnx` is int8)."""
    if backend == "torch":
        return SentenceTransformerEmbedder(MINILM, batch_size=batch_size)
    if backend in ("onnx-fp32", "onnx-int8"):
        # The export lives in the per-user cache (built once per machine); `cache_dir` holds
        # only this bench's vectors.
        return OnnxEmbedder(MINILM, quantize=backend == "onnx-int8", batch_size=batch_size)
    raise ValueError(f"unknown backend {backend!r}: use {', '.join(BACKENDS)}")


def cached_vectors(
    embedder: Embedder,
    backend: str,
    texts: Sequence[str],
    cache_dir: Path,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Vectors of `texts`, stored as .npy keyed by the texts, the model and the back end
    (ONNX fp32 shares the torch model name, so the name alone would not tell them apart)."""
    digest = hashlib.sha1()
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\0")
    slug = embedder.name.replace("/", "_")
    path = cache_dir / "vectors" / f"{digest.hexdigest()[:16]}-{slug}-{backend}.npy"
    if path.exists():
        return np.load(path)
    rows = []
    step = 256  # progress granularity only; the embedder batches internally
    for start in range(0, len(texts), step):
        rows.append(embedder.embed(list(texts[start : start + step])))
        if progress:
            progress(min(step, len(texts) - start))
    vectors = np.vstack(rows).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


@dataclass(frozen=True)
class ChunkedCorpus:
    """A BEIR corpus cut into chunks the way `kb add` cuts documents: the bench ranks what
    the knowledge base would rank, and long documents are not cut off at the embedder's
    input limit."""

    ids: list[str]
    """`<document id>#<n>`, as the knowledge base names chunks."""
    texts: list[str]
    """What is embedded and indexed for BM25: the document title, then the chunk."""
    documents: int

    @property
    def document_ids(self) -> list[str]:
        """The document of each chunk."""
        return [_document_of(chunk) for chunk in self.ids]

    @property
    def rows(self) -> list[CorpusRow]:
        return [
            CorpusRow(document=document, text=text)
            for document, text in zip(self.document_ids, self.texts, strict=True)
        ]

    def fetch(self, documents: int) -> int:
        """Chunks to rank so that about `documents` distinct documents come out of them."""
        return math.ceil(documents * len(self.ids) / max(self.documents, 1))


def _document_of(chunk: str) -> str:
    return chunk.rsplit("#", 1)[0]


def chunk_corpus(data: BeirData, config: ChunkingConfig | None = None) -> ChunkedCorpus:
    """The corpus as `kb add` would chunk it (default chunking unless `config` is given)."""
    chunker = Chunker(config)
    ids, texts = [], []
    for document, text in data.corpus.items():
        title = data.titles.get(document, "")
        body = text.removeprefix(f"{title}. ") if title else text
        # Not validated: a BEIR id or an empty text is no reason to stop a bench.
        record = Document.model_construct(id=document, title=title, text=body, metadata={})
        for chunk in chunker.split(record):
            ids.append(chunk.id)
            texts.append(embedding_text(chunk))
    return ChunkedCorpus(ids, texts, len(data.corpus))


def embed_corpus(
    chunks: ChunkedCorpus,
    queries: Sequence[str],
    backend: str,
    cache_dir: Path,
    bars: Bars = no_bars,
) -> tuple[np.ndarray, np.ndarray]:
    """Chunk and query vectors, from the cache when possible."""
    embedder = make_backend(backend, cache_dir)
    with bars(f"embed corpus ({backend})", len(chunks.texts)) as advance:
        corpus = cached_vectors(embedder, backend, chunks.texts, cache_dir, advance)
    return corpus, cached_vectors(embedder, backend, list(queries), cache_dir)


def _documents(hits: list[Hit], k: int) -> list[str]:
    """Documents of ranked chunk hits, each at its best chunk's place, as the knowledge
    base answers."""
    found: dict[str, None] = {}
    for chunk, _ in hits:
        found.setdefault(_document_of(chunk), None)
        if len(found) == k:
            break
    return list(found)


class MethodRun(Schema):
    name: str
    metrics: RetrievalMetrics
    peer: bool
    ms_per_query: float
    """Search time per query, query vector given (cached)."""
    ratio_to_best_peer: float = 0.0
    interval_to_best_peer: list[float] = Field(default_factory=list)
    """90% interval of that ratio, from a paired bootstrap over the judged queries: how far
    a ratio measured on this many queries can be trusted."""
    ratios: dict[str, float] = Field(default_factory=dict)
    """nDCG@10 over each peer's."""
    query_ndcg_at_10: dict[str, float] = Field(default_factory=dict)
    """nDCG@10 of each judged query (for paired comparisons between runs)."""


class HindsightRun(Schema):
    """One setting the choice weighed, scored on the judged queries it never saw."""

    label: str
    ndcg_at_10: float
    ratio_to_best_peer: float
    chosen: bool


class Latency(Schema):
    chunks: int
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    embed_p50_ms: float
    embed_p99_ms: float


class RetrievalBench(Schema):
    dataset: str
    documents: int
    queries: int
    query_set: str
    """Which judged queries were scored: all, or the tuning or held-out half."""
    backend: str
    runs: list[MethodRun]
    choice: RetrievalChoice
    """The settings rapport chose for this corpus, on pseudo-queries only."""
    seed: int = 0
    """Draw of the pseudo-queries the choice was made on."""
    latency: Latency | None
    hindsight: list[HindsightRun] = Field(default_factory=list)
    """With `hindsight`: every setting the choice weighed, best first, on the judged
    queries. The first is the best any choice among them could have made: how much the
    choice left behind, and how far this family of settings reaches on the corpus."""


def in_set(query_id: str, queries: QuerySet) -> bool:
    """Whether a query belongs to the set: halves split by the parity of a hash of the id."""
    if queries == "all":
        return True
    even = int(hashlib.sha1(query_id.encode()).hexdigest(), 16) % 2 == 0
    return even == (queries == "tuning")


def _run(
    name: str,
    peer: bool,
    data: BeirData,
    query_vectors: np.ndarray,
    method: Callable[[np.ndarray, str], list[Hit]],
    queries: QuerySet = "all",
) -> MethodRun:
    """`method` ranks chunks; a query's run is their documents, best chunk first."""
    run: dict[str, list[str]] = {}
    started = time.perf_counter()
    for (qid, text), vector in zip(data.queries.items(), query_vectors, strict=True):
        if in_set(qid, queries):
            run[qid] = _documents(method(vector, text), DEPTH)
    ms = (time.perf_counter() - started) * 1000 / max(len(run), 1)
    each = {qid: round(m.ndcg_at_10, 6) for qid, m in per_query(run, data.qrels).items()}
    return MethodRun(
        name=name,
        metrics=evaluate_run(run, data.qrels),
        peer=peer,
        ms_per_query=ms,
        query_ndcg_at_10=each,
    )


def build_index(
    ids: list[str],
    texts: list[str],
    vectors: np.ndarray,
    config: RetrieverConfig | None = None,
    documents: list[str] | None = None,
) -> HybridRetriever:
    retriever = HybridRetriever(config)
    retriever.index(ids, texts, vectors, documents)
    return retriever


def choose_settings(
    chunks: ChunkedCorpus, retriever: HybridRetriever, embedder: Embedder
) -> RetrievalChoice:
    """What the knowledge base would choose for this corpus."""
    return tune(retriever, chunks.rows, embedder.embed, retriever.config.autotune, embedder.name)


def configured_reranker(settings: Settings) -> RerankerConfig:
    """The `[retriever.reranker]` section of `settings`, which must name a server or a
    model."""
    config = section(settings, "retriever", RetrieverConfig).reranker
    if not config.enabled:
        raise ValueError("no re-ranker configured: set [retriever.reranker] base_url or model")
    return config


def bench_retrieval(
    folder: Path,
    backend: str = "onnx-fp32",
    cache_dir: Path | None = None,
    latency: bool = True,
    queries: QuerySet = "all",
    bars: Bars = no_bars,
    seed: int = 0,
    hindsight: bool = False,
    reranker: RerankerConfig | None = None,
) -> RetrievalBench:
    """`seed` draws the pseudo-queries settings are chosen on (the knowledge base's default
    is 0); other seeds show how stable the choice is. `hindsight` also scores every setting
    the choice weighed on the judged queries. `reranker` adds rapport with that re-ranking
    server over its top chunks, as the knowledge base uses it."""
    cache_dir = cache_dir or default_cache_dir()
    data = load_beir(folder)
    chunks = chunk_corpus(data)
    corpus, vectors = embed_corpus(chunks, list(data.queries.values()), backend, cache_dir, bars)
    config = RetrieverConfig(autotune=AutotuneConfig(seed=seed))
    r = build_index(chunks.ids, chunks.texts, corpus, config, chunks.document_ids)
    with bars("choose settings on pseudo-queries", None):
        choice = choose_settings(chunks, r, make_backend(backend, cache_dir))
    depth = chunks.fetch(DEPTH)
    chosen = r.with_config(r.config.using(choice.settings))
    # As shipped before settings were chosen per corpus: BM25 always fully trusted.
    published = r.with_config(r.config.model_copy(update={"full_agreement": 0.0}))

    def run(name: str, peer: bool, method: Callable[[np.ndarray, str], list[Hit]]) -> MethodRun:
        return _run(name, peer, data, vectors, method, queries)

    runs = [
        run("peer: BM25 (bm25s, stemmed)", True, lambda v, t: r.bm25(t, depth)),
        run(f"peer: dense {MINILM}", True, lambda v, t: r.dense(v, depth)),
        run("peer: RRF dense + BM25", True, lambda v, t: r.rrf(v, t, depth)),
        run("published hybrid-PRF (fixed)", False, lambda v, t: published.search(v, t, depth)),
        run(f"rapport ({choice.label})", False, lambda v, t: chosen.search(v, t, depth)),
    ]
    if reranker is not None:
        texts = dict(zip(chunks.ids, chunks.texts, strict=True))
        second = make_reranker(reranker)
        runs.append(
            run(
                f"rapport + re-ranker {reranker.model}".rstrip(),
                False,
                lambda v, t: second.rerank(
                    t, chosen.search(v, t, depth), texts.__getitem__, strict=True
                ),
            )
        )
    peers = {run.name: run.metrics.ndcg_at_10 for run in runs if run.peer}
    best = max(peers.values())
    best_run = next(run for run in runs if run.peer and run.metrics.ndcg_at_10 == best)
    judged = list(best_run.query_ndcg_at_10)
    theirs = np.array([best_run.query_ndcg_at_10[qid] for qid in judged])
    for method in runs:
        ndcg = method.metrics.ndcg_at_10
        method.ratio_to_best_peer = round(ndcg / best, 4) if best else 0.0
        ours = np.array([method.query_ndcg_at_10[qid] for qid in judged])
        method.interval_to_best_peer = ratio_interval(ours, theirs) if judged else []
        method.ratios = {
            name: round(ndcg / value, 4) if value else 0.0 for name, value in peers.items()
        }
    scored: list[HindsightRun] = []
    for candidate in choice.candidates if hindsight else []:
        label = candidate.settings.label()
        tuned = r.with_config(r.config.using(candidate.settings))
        ndcg = run(label, False, partial(tuned.search, k=depth)).metrics.ndcg_at_10
        ratio = round(ndcg / best, 4) if best else 0.0
        scored.append(
            HindsightRun(
                label=label, ndcg_at_10=ndcg, ratio_to_best_peer=ratio, chosen=label == choice.label
            )
        )
    return RetrievalBench(
        dataset=folder.name,
        documents=len(data.corpus),
        queries=runs[0].metrics.queries,
        query_set=queries,
        backend=backend,
        runs=runs,
        choice=choice,
        seed=seed,
        latency=(
            measure_latency(data, corpus, cache_dir, choice.settings, backend) if latency else None
        ),
        hindsight=sorted(scored, key=lambda h: -h.ndcg_at_10),
    )


def eval_retrieval(
    folder: Path, backend: str = "torch", cache_dir: Path | None = None, bars: Bars = no_bars
) -> RetrievalMetrics:
    """rapport's retriever alone on a BEIR folder, with the settings it chooses for it."""
    cache_dir = cache_dir or default_cache_dir()
    data = load_beir(folder)
    chunks = chunk_corpus(data)
    corpus, queries = embed_corpus(chunks, list(data.queries.values()), backend, cache_dir, bars)
    retriever = build_index(chunks.ids, chunks.texts, corpus, documents=chunks.document_ids)
    choice = choose_settings(chunks, retriever, make_backend(backend, cache_dir))
    chosen = retriever.with_config(retriever.config.using(choice.settings))
    depth = chunks.fetch(DEPTH)
    return _run("rapport", False, data, queries, lambda v, t: chosen.search(v, t, depth)).metrics


def _halves(text: str) -> tuple[str, str]:
    words = text.split()
    middle = max(1, len(words) // 2)
    return " ".join(words[:middle]), " ".join(words[middle:])


def measure_latency(
    data: BeirData,
    corpus_vectors: np.ndarray,
    cache_dir: Path,
    settings: TunedSettings | None = None,
    backend: str = "onnx-fp32",
    chunks: int = 10_000,
    requests: int = 250,
) -> Latency:
    """p50/p95/p99 of one full `search` over `chunks` chunks with `settings` (the ones chosen
    for the corpus; the published ones when None), the query embedded by `backend` inside the
    timed call. Chunks are passage halves (real BM25 postings); their vectors are
    the passage vectors plus a little noise, since latency does not depend on their values."""
    texts: list[str] = []
    for text in data.corpus.values():
        texts.extend(_halves(text))
    repeats = -(-chunks // len(texts))
    texts = (texts * repeats)[:chunks]
    rng = np.random.default_rng(0)
    base = np.repeat(corpus_vectors, 2, axis=0)
    rows = np.resize(base, (chunks, base.shape[1]))
    vectors = rows + np.asarray(rng.normal(0, 0.02, rows.shape), dtype=np.float32)
    config = RetrieverConfig()
    retriever = HybridRetriever(config.using(settings) if settings else config)
    retriever.index([f"c{n}" for n in range(chunks)], texts, vectors)
    embedder = make_backend(backend, cache_dir, batch_size=1)
    questions = list(data.queries.values())
    for text in questions[:5]:  # warm up the session and the BM25 arrays
        retriever.search(embedder.embed([text])[0], text, 10)
    totals, embeds = [], []
    for n in range(requests):
        text = questions[n % len(questions)]
        started = time.perf_counter()
        vector = embedder.embed([text])[0]
        embedded = time.perf_counter()
        retriever.search(vector, text, 10)
        finished = time.perf_counter()
        totals.append((finished - started) * 1000)
        embeds.append((embedded - started) * 1000)
    return Latency(
        chunks=chunks,
        requests=requests,
        p50_ms=float(np.percentile(totals, 50)),
        p95_ms=float(np.percentile(totals, 95)),
        p99_ms=float(np.percentile(totals, 99)),
        embed_p50_ms=float(np.percentile(embeds, 50)),
        embed_p99_ms=float(np.percentile(embeds, 99)),
    )
