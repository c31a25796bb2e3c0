"""`rapport bench ann`: approximate nearest-neighbour libraries on the same vectors, against
exact search: build time, index size, query p50/p99 (one thread, as a request runs) and
recall@10, for item-like queries (an item's own vector, as `similar` asks) and user-like
queries (the normalised mean of a few items of one topic, as the content source asks).

Each library is imported only when measured; a library that is not installed is reported
as such rather than failing the run.
"""

from __future__ import annotations

import gc
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rapport.bench.memory import rss_mb
from rapport.bench.progress import Bars, no_bars
from rapport.bench.synthetic import VectorSource, chunks
from rapport.core.models import Schema
from rapport.core.vectors.embedder import normalise

K = 10


class AnnRun(Schema):
    library: str
    """Library and index type."""
    build: str
    """Build settings."""
    search: str
    """Search setting (the speed/recall knob)."""
    build_seconds: float
    """Building the index from all vectors, two threads."""
    size_mb: float
    """The saved index file (vectors included)."""
    memory_mb: float
    """Resident memory the built index added."""
    item_recall_at_10: float
    """Recall@10 against exact search, item vectors as queries."""
    user_recall_at_10: float
    """Recall@10 against exact search, user-like queries."""
    p50_ms: float
    p99_ms: float
    """Query latency over both query sets, one thread."""


class AnnBench(Schema):
    vectors: int
    dim: int
    queries: int
    """Per query set."""
    exact_p50_ms: float
    exact_p99_ms: float
    """The peer: exact search (one matrix-vector product and a top-10 partition)."""
    runs: list[AnnRun]
    missing: list[str]
    """Libraries that are not installed here."""


def _percentiles(samples: list[float]) -> tuple[float, float]:
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 99))


def _exact(matrix: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, list[float]]:
    truth = np.zeros((len(queries), K), dtype=np.int64)
    samples = []
    for n, query in enumerate(queries):
        start = time.perf_counter()
        scores = matrix @ query
        top = np.argpartition(-scores, K)[:K]
        truth[n] = top[np.argsort(-scores[top])]
        samples.append((time.perf_counter() - start) * 1000)
    return truth, samples


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


class _Library(ABC):
    """One library's build, setting, search and save, behind the same four calls."""

    name: str
    build_label: str
    knob: str
    """The search-time setting that trades speed for recall."""
    settings: tuple[int, ...] = (32, 64, 128, 256)

    @abstractmethod
    def build(self, matrix: np.ndarray) -> None: ...
    @abstractmethod
    def use(self, setting: int) -> None: ...
    @abstractmethod
    def search(self, query: np.ndarray) -> np.ndarray: ...
    @abstractmethod
    def save(self, path: Path) -> None: ...


class _Hnswlib(_Library):
    name = "hnswlib HNSW"

    def __init__(self, m: int, ef_construction: int) -> None:
        import hnswlib

        self.module = hnswlib
        self.m, self.efc = m, ef_construction
        self.build_label = f"M={m}, ef_construction={ef_construction}"

    def build(self, matrix: np.ndarray) -> None:
        self.index = self.module.Index(space="ip", dim=matrix.shape[1])
        self.index.init_index(max_elements=len(matrix), ef_construction=self.efc, M=self.m)
        self.index.set_num_threads(2)
        self.index.add_items(matrix, np.arange(len(matrix)))
        self.index.set_num_threads(1)

    knob = "ef"

    def use(self, setting: int) -> None:
        self.index.set_ef(setting)

    def search(self, query: np.ndarray) -> np.ndarray:
        labels, _ = self.index.knn_query(query, k=K)
        return np.asarray(labels[0])

    def save(self, path: Path) -> None:
        self.index.save_index(str(path))


class _Usearch(_Library):
    name = "usearch HNSW"

    def __init__(self, connectivity: int, expansion_add: int, dtype: str) -> None:
        from usearch.index import Index

        self.make = Index
        self.connectivity, self.expansion_add, self.dtype = connectivity, expansion_add, dtype
        self.build_label = f"connectivity={connectivity}, expansion_add={expansion_add}, {dtype}"

    def build(self, matrix: np.ndarray) -> None:
        self.index = self.make(
            ndim=matrix.shape[1],
            metric="ip",
            dtype=self.dtype,
            connectivity=self.connectivity,
            expansion_add=self.expansion_add,
        )
        self.index.add(np.arange(len(matrix)), matrix, threads=2)

    knob = "expansion_search"

    def use(self, setting: int) -> None:
        self.index.expansion_search = setting  # type: ignore[misc]  # has a setter

    def search(self, query: np.ndarray) -> np.ndarray:
        return np.asarray(self.index.search(query, K, threads=1).keys)

    def save(self, path: Path) -> None:
        self.index.save(str(path))


class _FaissHnsw(_Library):
    name = "faiss HNSWFlat"

    def __init__(self, m: int, ef_construction: int) -> None:
        import faiss

        self.faiss = faiss
        self.m, self.efc = m, ef_construction
        self.build_label = f"M={m}, efConstruction={ef_construction}"

    def build(self, matrix: np.ndarray) -> None:
        self.faiss.omp_set_num_threads(2)
        self.index = self.faiss.IndexHNSWFlat(
            matrix.shape[1], self.m, self.faiss.METRIC_INNER_PRODUCT
        )
        self.index.hnsw.efConstruction = self.efc
        self.index.add(matrix)
        self.faiss.omp_set_num_threads(1)

    knob = "efSearch"

    def use(self, setting: int) -> None:
        self.index.hnsw.efSearch = setting

    def search(self, query: np.ndarray) -> np.ndarray:
        _, labels = self.index.search(query[None, :], K)
        return np.asarray(labels[0])

    def save(self, path: Path) -> None:
        self.faiss.write_index(self.index, str(path))


class _FaissIvf(_Library):
    name = "faiss IVFFlat"

    def __init__(self) -> None:
        import faiss

        self.faiss = faiss
        self.build_label = "nlist=4*sqrt(n), trained on 50k"

    def build(self, matrix: np.ndarray) -> None:
        faiss = self.faiss
        faiss.omp_set_num_threads(2)
        nlist = int(4 * np.sqrt(len(matrix)))
        quantiser = faiss.IndexFlatIP(matrix.shape[1])
        self.index = faiss.IndexIVFFlat(
            quantiser, matrix.shape[1], nlist, faiss.METRIC_INNER_PRODUCT
        )
        sample = matrix[
            np.random.default_rng(0).choice(len(matrix), min(len(matrix), 50_000), replace=False)
        ]
        self.index.train(sample)
        self.index.add(matrix)
        self.quantiser = quantiser  # the index does not own it from Python
        faiss.omp_set_num_threads(1)

    knob = "nprobe"
    settings = (8, 16, 32, 64)

    def use(self, setting: int) -> None:
        self.index.nprobe = setting

    def search(self, query: np.ndarray) -> np.ndarray:
        _, labels = self.index.search(query[None, :], K)
        return np.asarray(labels[0])

    def save(self, path: Path) -> None:
        self.faiss.write_index(self.index, str(path))


LIBRARIES: dict[str, Callable[[], _Library]] = {
    "hnswlib": lambda: _Hnswlib(16, 128),
    "usearch": lambda: _Usearch(16, 128, "f32"),
    "usearch-f16": lambda: _Usearch(16, 128, "f16"),
    "faiss-hnsw": lambda: _FaissHnsw(16, 128),
    "faiss-ivf": _FaissIvf,
}


def user_queries(source: VectorSource, matrix: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Normalised means of 3-12 items of one topic: what a user vector looks like."""
    rng = np.random.default_rng([seed, 9])
    topics = source.topics(0, len(matrix))
    rows = []
    for _ in range(count):
        members = np.flatnonzero(topics == rng.integers(0, topics.max() + 1))
        if members.size == 0:
            members = np.arange(len(matrix))
        picked = rng.choice(members, min(members.size, int(rng.integers(3, 13))), replace=False)
        rows.append(matrix[picked].mean(axis=0))
    return normalise(np.array(rows))


def bench_ann(
    source: VectorSource,
    vectors: int,
    queries: int = 500,
    libraries: list[str] | None = None,
    bars: Bars = no_bars,
) -> AnnBench:
    matrix = np.zeros((vectors, source.base.shape[1]), dtype=np.float32)
    with bars("generate vectors", vectors) as advance:
        for start, count in chunks(vectors, 100_000):
            matrix[start : start + count] = source.vectors(start, count)
            advance(count)
    rng = np.random.default_rng(17)
    item_q = matrix[rng.choice(vectors, queries, replace=False)]
    user_q = user_queries(source, matrix, queries, 17)
    item_truth, item_times = _exact(matrix, item_q)
    user_truth, user_times = _exact(matrix, user_q)
    exact_p50, exact_p99 = _percentiles(item_times + user_times)
    runs: list[AnnRun] = []
    missing: list[str] = []
    names = libraries or list(LIBRARIES)
    with bars("libraries", len(names)) as advance, tempfile.TemporaryDirectory() as scratch:
        for name in names:
            try:
                library = LIBRARIES[name]()
            except ImportError:
                missing.append(name)
                advance(1)
                continue
            gc.collect()
            before = rss_mb()
            began = time.perf_counter()
            library.build(matrix)
            build_seconds = time.perf_counter() - began
            memory = rss_mb() - before
            path = Path(scratch) / f"{name}.index"
            library.save(path)
            size = path.stat().st_size / 1024 / 1024
            path.unlink()
            for setting in library.settings:
                library.use(setting)
                found: dict[str, Any] = {}
                samples: list[float] = []
                for label, batch in (("item", item_q), ("user", user_q)):
                    rows = []
                    for query in batch:
                        began = time.perf_counter()
                        rows.append(library.search(query))
                        samples.append((time.perf_counter() - began) * 1000)
                    found[label] = np.array(rows)
                p50, p99 = _percentiles(samples)
                runs.append(
                    AnnRun(
                        library=library.name,
                        build=library.build_label,
                        search=f"{library.knob}={setting}",
                        build_seconds=round(build_seconds, 2),
                        size_mb=round(size, 1),
                        memory_mb=round(memory, 1),
                        item_recall_at_10=round(_recall(found["item"], item_truth), 4),
                        user_recall_at_10=round(_recall(found["user"], user_truth), 4),
                        p50_ms=round(p50, 3),
                        p99_ms=round(p99, 3),
                    )
                )
            del library
            advance(1)
    return AnnBench(
        vectors=vectors,
        dim=matrix.shape[1],
        queries=queries,
        exact_p50_ms=round(exact_p50, 3),
        exact_p99_ms=round(exact_p99, 3),
        runs=runs,
        missing=missing,
    )
