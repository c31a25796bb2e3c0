"""An HNSW graph (hnswlib) over unit vectors, keyed by integers, saved as one file.

hnswlib was chosen by `rapport bench ann` (docs/benchmarks.md): on MiniLM-like vectors it
built fastest and answered fastest at the same recall as usearch and faiss, and it updates
in place (adding, replacing and deleting keys), which the store-synced index needs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from rapport.core.components import ComponentConfig


class AnnConfig(ComponentConfig):
    """How HNSW graphs are built and searched. The defaults reach recall@10 of 0.99 for
    item queries and 0.97 for user-like queries at 100k MiniLM vectors (`rapport bench
    ann`)."""

    m: int = Field(default=16, ge=4, le=64)
    """Links per node: more is better recall and more memory (4 bytes x 2m per vector)."""
    ef_construction: int = Field(default=128, ge=16)
    """Candidate list while inserting: more is a better graph and a slower build."""
    ef_search: int = Field(default=64, ge=10)
    """Candidate list while searching (raised to k when k is larger): the speed/recall
    knob."""
    build_threads: int = Field(default=2, ge=1)
    """Threads used to add many vectors at once (queries use one)."""


class HnswGraph:
    """Nearest neighbours by inner product (cosine for unit vectors); scores are cosines."""

    def __init__(self, dim: int, config: AnnConfig, capacity: int = 1024) -> None:
        import hnswlib

        self.dim = dim
        self.config = config
        self.index = hnswlib.Index(space="ip", dim=dim)
        self.index.init_index(
            max_elements=max(capacity, 16), M=config.m, ef_construction=config.ef_construction
        )
        self.index.set_ef(config.ef_search)
        self.deleted = 0

    @classmethod
    def load(cls, path: Path, dim: int, config: AnnConfig, deleted: int) -> HnswGraph:
        import hnswlib

        graph = cls.__new__(cls)
        graph.dim = dim
        graph.config = config
        graph.index = hnswlib.Index(space="ip", dim=dim)
        graph.index.load_index(str(path))
        graph.index.set_ef(config.ef_search)
        graph.deleted = deleted
        return graph

    def __len__(self) -> int:
        """Live vectors (added and not deleted)."""
        return int(self.index.get_current_count()) - self.deleted

    @property
    def slots(self) -> int:
        """Keys ever added, deleted ones included (deleted keys keep their place)."""
        return int(self.index.get_current_count())

    def add(self, keys: np.ndarray, vectors: np.ndarray, revived: int = 0) -> None:
        """Add vectors under new keys, or replace the vectors of existing ones; `revived`
        says how many of the keys were deleted before (adding brings them back)."""
        if len(keys) == 0:
            return
        needed = self.slots + len(keys)
        capacity = int(self.index.get_max_elements())
        if needed > capacity:
            self.index.resize_index(max(needed, capacity * 2))
        threads = self.config.build_threads if len(keys) >= 1000 else 1
        self.index.add_items(
            np.ascontiguousarray(vectors, dtype=np.float32),
            np.asarray(keys, dtype=np.int64),
            num_threads=threads,
        )
        self.deleted -= revived

    def remove(self, keys: np.ndarray) -> None:
        for key in np.asarray(keys, dtype=np.int64).tolist():
            self.index.mark_deleted(key)
            self.deleted += 1

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest live keys and their cosines, best first (fewer when the graph
        cannot find k, e.g. after many deletions)."""
        return self.search_many(np.asarray(query, dtype=np.float32)[None, :], k)[0]

    def search_many(self, queries: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        k = min(k, len(self))
        if k <= 0:
            return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in queries]
        self.index.set_ef(max(self.config.ef_search, k))
        try:
            labels, distances = self.index.knn_query(queries, k=k, num_threads=1)
        except RuntimeError:  # fewer than k reachable: ask for fewer, one query at a time
            return [self._search_fewer(q, k) for q in queries]
        return [
            (labels[i].astype(np.int64), (1.0 - distances[i]).astype(np.float32))
            for i in range(len(queries))
        ]

    def _search_fewer(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        while k > 1:
            k //= 2
            try:
                labels, distances = self.index.knn_query(query[None, :], k=k, num_threads=1)
            except RuntimeError:
                continue
            return labels[0].astype(np.int64), (1.0 - distances[0]).astype(np.float32)
        return np.zeros(0, np.int64), np.zeros(0, np.float32)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The stored vectors of these keys."""
        if len(keys) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(
            self.index.get_items(np.asarray(keys, dtype=np.int64).tolist(), return_type="numpy"),
            dtype=np.float32,
        )

    def save(self, path: Path) -> None:
        self.index.save_index(str(path))
