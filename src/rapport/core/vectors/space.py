"""One vector space in memory (a tenant's item, chunk or interest vectors of one model):
exact search over a matrix while it is small, an HNSW graph once it holds `ann_min`
vectors; saved to and loaded from a folder.

Every ref id gets an integer key on first write; a deleted id's key is retired (a re-added
id gets a new one), and keys are compacted when retired ones pile up.
"""

from __future__ import annotations

import json
import math
import os
import threading
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from rapport.core.store.freshness import Freshness
from rapport.core.vectors.ann import AnnConfig, HnswGraph

Hit = tuple[str, float]

EXACT_ALLOWED = 20_000
"""With an `allowed` set of at most this many ids, search scores them exactly."""
MAX_OVERFETCH = 4096
"""Graph results fetched at most before a filtered search falls back to exact scores."""
COMPACT_SHARE = 0.3
"""Keys are compacted once this share of them is retired."""
SCAN_ROWS = 65_536
"""Rows scored at a time when exact search reads vectors out of the graph."""
FORMAT = 1


class VectorSpace:
    """Vectors by ref id with nearest-neighbour search; thread-safe through `lock`."""

    def __init__(self, config: AnnConfig, ann_min: int | None) -> None:
        self.config = config
        self.ann_min = ann_min
        """Live vectors from which an HNSW graph answers searches (None: never)."""
        self.dim = 0
        self.ids: list[str | None] = []
        """Ref id of each key; None once retired."""
        self.position: dict[str, int] = {}
        """Key of each live ref id."""
        self.alive = np.zeros(0, dtype=bool)
        self.matrix: np.ndarray | None = np.zeros((0, 0), dtype=np.float32)
        """Vector of each key (rows beyond len(ids) are spare capacity); None while the
        graph holds the vectors."""
        self.graph: HnswGraph | None = None
        self.count = 0
        """Vectors of the space in the store when last compared."""
        self.newest: datetime | None = None
        """Newest update time in the store when last compared."""
        self.freshness = Freshness()
        self.unsaved = 0
        """Changes since the space was last saved."""
        self.lock = threading.RLock()
        """Held while reading or changing the vectors."""
        self.sync_lock = threading.Lock()
        """Held while comparing with the store (one comparison at a time)."""

    def __len__(self) -> int:
        return len(self.position)

    # -- writes ----------------------------------------------------------------------------

    def upsert(self, ref_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add vectors, or replace those of ids already present."""
        if not len(ref_ids):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not self.dim:
            self.dim = vectors.shape[1]
            if self.matrix is not None:
                self.matrix = np.zeros((0, self.dim), dtype=np.float32)
        keys = np.empty(len(ref_ids), dtype=np.int64)
        for n, ref in enumerate(ref_ids):
            key = self.position.get(ref)
            if key is None:
                key = len(self.ids)
                self.ids.append(ref)
                self.position[ref] = key
            keys[n] = key
        self._reserve(len(self.ids))
        self.alive[keys] = True
        if self.graph is not None:
            self.graph.add(keys, vectors)
        else:
            assert self.matrix is not None
            self.matrix[keys] = vectors
            if self.ann_min is not None and len(self) >= self.ann_min:
                self.build_graph()
        self.unsaved += len(ref_ids)

    def remove(self, ref_ids: Collection[str]) -> None:
        keys = [self.position.pop(ref) for ref in ref_ids if ref in self.position]
        if not keys:
            return
        for key in keys:
            self.ids[key] = None
        self.alive[keys] = False
        if self.graph is not None:
            self.graph.remove(np.array(keys, dtype=np.int64))
        self.unsaved += len(keys)
        if len(keys) and len(self.ids) - len(self) > COMPACT_SHARE * max(len(self.ids), 1000):
            self.compact()

    def _reserve(self, size: int) -> None:
        capacity = len(self.alive)
        if size <= capacity:
            return
        grown = max(size, capacity * 2, 1024)
        alive = np.zeros(grown, dtype=bool)
        alive[:capacity] = self.alive
        self.alive = alive
        if self.matrix is not None:
            matrix = np.zeros((grown, self.dim), dtype=np.float32)
            matrix[:capacity] = self.matrix
            self.matrix = matrix

    def build_graph(self) -> None:
        """Move the vectors into an HNSW graph (same keys); exact search stops."""
        assert self.matrix is not None
        graph = HnswGraph(self.dim, self.config, capacity=max(len(self.ids), 1024))
        keys = np.flatnonzero(self.alive[: len(self.ids)])
        for start in range(0, len(keys), SCAN_ROWS):
            part = keys[start : start + SCAN_ROWS]
            graph.add(part, self.matrix[part])
        retired = np.flatnonzero(~self.alive[: len(self.ids)])
        if retired.size:  # keep keys aligned: retired keys hold a deleted placeholder
            graph.add(retired, np.zeros((retired.size, self.dim), dtype=np.float32))
            graph.remove(retired)
        self.graph = graph
        self.matrix = None

    def compact(self) -> None:
        """Give the live ids consecutive keys again (a fresh graph, or a packed matrix)."""
        live = [ref for ref in self.ids if ref is not None]
        keys = np.array([self.position[ref] for ref in live], dtype=np.int64)
        vectors = self._vectors_of(keys)
        self.ids = list(live)
        self.position = {ref: n for n, ref in enumerate(live)}
        self.alive = np.ones(len(live), dtype=bool)
        had_graph = self.graph is not None
        self.graph = None
        self.matrix = vectors.copy() if len(live) else np.zeros((0, self.dim), np.float32)
        if had_graph:
            self.build_graph()
        self.unsaved += 1

    # -- reads -----------------------------------------------------------------------------

    def _vectors_of(self, keys: np.ndarray) -> np.ndarray:
        if self.graph is not None:
            return self.graph.get(keys)
        assert self.matrix is not None
        return self.matrix[keys]

    def vectors(self, ref_ids: Sequence[str]) -> dict[str, np.ndarray]:
        found = [(ref, self.position[ref]) for ref in ref_ids if ref in self.position]
        if not found:
            return {}
        rows = self._vectors_of(np.array([key for _, key in found], dtype=np.int64))
        return {ref: rows[n] for n, (ref, _) in enumerate(found)}

    def matrix_for(self, ref_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Vectors aligned with `ref_ids` (zero rows where an id has none) and which have."""
        keys = np.array([self.position.get(ref, -1) for ref in ref_ids], dtype=np.int64)
        has = keys >= 0
        result = np.zeros((len(ref_ids), self.dim or 1), dtype=np.float32)
        rows = np.flatnonzero(has)
        for start in range(0, len(rows), SCAN_ROWS):
            part = rows[start : start + SCAN_ROWS]
            result[part] = self._vectors_of(keys[part])
        return result, has

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: Collection[str] | None = None,
        exclude: Collection[str] = (),
    ) -> list[Hit]:
        if not self.position or k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32)
        blocked = {self.position[i] for i in exclude if i in self.position}
        if allowed is None:
            keys = None
        else:
            keys = np.fromiter(
                (self.position[i] for i in allowed if i in self.position), dtype=np.int64
            )
            if keys.size == 0:
                return []
        if self.graph is None or (keys is not None and keys.size <= EXACT_ALLOWED):
            return self._exact(query, k, keys, blocked)
        return self._approximate(query, k, keys, blocked)

    def search_many(self, queries: np.ndarray, k: int) -> list[list[Hit]]:
        """Unfiltered searches for several queries (one graph call, or one product)."""
        if not self.position or k <= 0 or len(queries) == 0:
            return [[] for _ in queries]
        queries = np.asarray(queries, dtype=np.float32)
        if self.graph is None:
            return [self._exact(query, k, None, set()) for query in queries]
        found = self.graph.search_many(queries, k)
        return [self._hits(keys, scores, len(keys)) for keys, scores in found]

    def _hits(self, keys: np.ndarray, scores: np.ndarray, k: int) -> list[Hit]:
        """The first k (ref id, score) pairs, skipping retired keys."""
        hits = []
        for key, score in zip(keys.tolist(), scores.tolist(), strict=True):
            ref = self.ids[key]
            if ref is not None:
                hits.append((ref, float(score)))
                if len(hits) == k:
                    break
        return hits

    def _exact(
        self, query: np.ndarray, k: int, keys: np.ndarray | None, blocked: set[int]
    ) -> list[Hit]:
        size = len(self.ids)
        if keys is None and self.matrix is not None:
            # The common case, kept free of copies: one product over the whole matrix.
            keys = np.arange(size)
            scores = self.matrix[:size] @ query
            if size != len(self):
                scores[~self.alive[:size]] = -np.inf
        else:
            if keys is None:
                keys = np.flatnonzero(self.alive[:size])
            scores = np.empty(len(keys), dtype=np.float32)
            for start in range(0, len(keys), SCAN_ROWS):
                part = keys[start : start + SCAN_ROWS]
                scores[start : start + len(part)] = self._vectors_of(part) @ query
        take = min(len(keys), k + len(blocked))
        top = np.argpartition(-scores, take - 1)[:take] if take < len(keys) else np.arange(take)
        ordered = top[np.argsort(-scores[top], kind="stable")]
        hits = [
            (self.ids[keys[i]], float(scores[i])) for i in ordered if int(keys[i]) not in blocked
        ]
        return [(ref, score) for ref, score in hits[:k] if ref is not None]

    def _approximate(
        self, query: np.ndarray, k: int, keys: np.ndarray | None, blocked: set[int]
    ) -> list[Hit]:
        """Graph search, over-fetching when filtered; exact when the filter leaves too few."""
        assert self.graph is not None
        allowed_mask = None
        want = k + len(blocked)
        if keys is not None:
            allowed_mask = np.zeros(len(self.ids), dtype=bool)
            allowed_mask[keys] = True
            want = math.ceil(want * len(self) / keys.size * 1.5)
        while True:
            found, scores = self.graph.search(query, min(want, len(self)))
            keep = np.array(
                [
                    int(key) not in blocked and (allowed_mask is None or allowed_mask[key])
                    for key in found
                ],
                dtype=bool,
            )
            if int(keep.sum()) >= k or len(found) >= len(self):
                return self._hits(found[keep], scores[keep], k)
            if want >= MAX_OVERFETCH:
                return self._exact(query, k, keys, blocked)
            want = min(want * 4, MAX_OVERFETCH)

    # -- persistence -----------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the graph, the keys and the store state it reflects (graph spaces only:
        exact spaces load from the store as fast as from a file)."""
        if self.graph is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        generation = uuid.uuid4().hex[:12]
        self.graph.save(folder / f"graph-{generation}.bin")
        (folder / f"keys-{generation}.json").write_text(json.dumps(self.ids))
        state = {
            "format": FORMAT,
            "generation": generation,
            "dim": self.dim,
            "m": self.config.m,
            "ef_construction": self.config.ef_construction,
            "deleted": self.graph.deleted,
            "count": self.count,
            "newest": self.newest.isoformat() if self.newest else None,
        }
        pending = folder / f"state-{generation}.json"
        pending.write_text(json.dumps(state))
        os.replace(pending, folder / "state.json")  # readers switch to this generation
        for old in folder.iterdir():
            if old.name != "state.json" and generation not in old.name:
                old.unlink(missing_ok=True)
        self.unsaved = 0

    @classmethod
    def load(cls, folder: Path, config: AnnConfig, ann_min: int | None) -> VectorSpace | None:
        """The space saved in `folder`, or None when there is none or it was built with
        other graph settings."""
        try:
            state = json.loads((folder / "state.json").read_text())
            if (
                state.get("format") != FORMAT
                or state["m"] != config.m
                or state["ef_construction"] != config.ef_construction
            ):
                return None
            generation = state["generation"]
            ids = json.loads((folder / f"keys-{generation}.json").read_text())
            graph = HnswGraph.load(
                folder / f"graph-{generation}.bin", state["dim"], config, state["deleted"]
            )
        except (OSError, ValueError, KeyError, RuntimeError):
            return None
        space = cls(config, ann_min)
        space.dim = state["dim"]
        space.ids = ids
        space.position = {ref: key for key, ref in enumerate(ids) if ref is not None}
        space.alive = np.array([ref is not None for ref in ids], dtype=bool)
        space.matrix = None
        space.graph = graph
        space.count = state["count"]
        space.newest = datetime.fromisoformat(state["newest"]) if state["newest"] else None
        return space
