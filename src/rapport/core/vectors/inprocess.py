"""The embedded back end's vector index: each space in memory, kept in step with the store,
searched exactly while small and through an HNSW graph from `ann_min` vectors on, the graph
saved in the data directory so a restart loads it instead of rebuilding it.

Keeping in step: the space compares the store's `(count, newest update)` with what it
holds and applies only the rows written since (deleted ids are found when the counts
disagree). The comparison runs at once when this process wrote vectors (a caller sees its
own writes), and otherwise at most every second (longer when the query is slow) in a
background thread, so writes from other processes show up without a request paying for
the check.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Collection
from pathlib import Path

import numpy as np
import structlog

from rapport.core.store.freshness import BackgroundChecks
from rapport.core.store.repository import Store
from rapport.core.vectors.ann import AnnConfig
from rapport.core.vectors.space import Hit, VectorSpace

log = structlog.get_logger(__name__)

SAVE_MIN_CHANGES = 1000
SAVE_SHARE = 0.05
"""A graph is saved again once changes since the last save exceed both of these (the store
replays fewer changes than that quickly on the next start)."""


class InProcessIndex:
    """Vector search in this process; graphs persisted under `folder` when given."""

    def __init__(
        self,
        store: Store,
        model: str,
        folder: Path | None = None,
        ann_min: int | None = None,
        config: AnnConfig | None = None,
    ) -> None:
        self.store = store
        self.model = model
        self.folder = folder
        self.ann_min = ann_min
        self.config = config or AnnConfig()
        self._spaces: dict[tuple[str, str], VectorSpace] = {}
        self._opening = threading.Lock()
        self._checks = BackgroundChecks()

    # -- keeping in step -------------------------------------------------------------------

    def _path(self, tenant: str, space: str) -> Path | None:
        if self.folder is None:
            return None
        digest = hashlib.sha1(self.model.encode()).hexdigest()[:10]
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", self.model)[:48]
        return self.folder / tenant / space / f"{slug}-{digest}"

    def _writes(self) -> int:
        return self.store.table_writes["vectors"]

    def _space(self, tenant: str, space: str) -> VectorSpace:
        key = (tenant, space)
        current = self._spaces.get(key)
        if current is None:
            with self._opening:
                current = self._spaces.get(key)
                if current is None:
                    current = self._open(tenant, space)
                    self._spaces[key] = current
            return current
        if current.freshness.wrote_here(self._writes()):
            self._sync(tenant, space, current)
        elif current.freshness.due():
            self._checks.start(key, lambda: self._sync(tenant, space, current))
        return current

    def _open(self, tenant: str, space: str) -> VectorSpace:
        path = self._path(tenant, space)
        loaded = None
        if path is not None and self.ann_min is not None:
            loaded = VectorSpace.load(path, self.config, self.ann_min)
            if loaded is not None:
                log.info("vector graph loaded", tenant=tenant, space=space, vectors=len(loaded))
        current = loaded or VectorSpace(self.config, self.ann_min)
        self._sync(tenant, space, current, force=True)
        return current

    def _sync(self, tenant: str, space: str, current: VectorSpace, force: bool = False) -> None:
        """Apply what changed in the store since `current` last compared itself with it."""
        with current.sync_lock:
            current.freshness.check(
                self._writes(), lambda: self._compare(tenant, space, current), force
            )

    def _compare(self, tenant: str, space: str, current: VectorSpace) -> None:
        count, newest = self.store.vector_state(tenant, space, self.model)
        if count == current.count and newest == current.newest:
            return
        for ids, vectors in self.store.iter_vectors(
            tenant, space, self.model, changed_after=current.newest
        ):
            with current.lock:
                current.upsert(ids, vectors)
        if len(current) != count:  # some were deleted
            stored = set(self.store.vector_ids(tenant, space, self.model))
            with current.lock:
                current.remove([ref for ref in current.position if ref not in stored])
        current.count, current.newest = count, newest
        self._maybe_save(tenant, space, current)

    def _maybe_save(
        self, tenant: str, space: str, current: VectorSpace, always: bool = False
    ) -> None:
        path = self._path(tenant, space)
        if path is None or current.graph is None or current.unsaved == 0:
            return
        if always or current.unsaved >= max(SAVE_MIN_CHANGES, SAVE_SHARE * len(current)):
            with current.lock:
                current.save(path)
            log.info("vector graph saved", tenant=tenant, space=space, vectors=len(current))

    # -- the VectorIndex protocol ----------------------------------------------------------

    def search(
        self,
        tenant: str,
        space: str,
        query: np.ndarray,
        k: int,
        *,
        allowed: Collection[str] | None = None,
        exclude: Collection[str] = (),
    ) -> list[Hit]:
        current = self._space(tenant, space)
        with current.lock:
            return current.search(query, k, allowed, exclude)

    def search_many(self, tenant: str, space: str, queries: np.ndarray, k: int) -> list[list[Hit]]:
        """Several unfiltered searches at once."""
        current = self._space(tenant, space)
        with current.lock:
            return current.search_many(queries, k)

    def vectors(self, tenant: str, space: str, ref_ids: list[str]) -> dict[str, np.ndarray]:
        current = self._space(tenant, space)
        with current.lock:
            return current.vectors(ref_ids)

    def matrix(self, tenant: str, space: str, ref_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        current = self._space(tenant, space)
        with current.lock:
            return current.matrix_for(ref_ids)

    def refresh(self, tenant: str, space: str) -> None:
        """Bring the space in step with the store now, and save its graph if it changed."""
        current = self._space(tenant, space)
        self._sync(tenant, space, current, force=True)
        self._maybe_save(tenant, space, current, always=True)

    def close(self) -> None:
        """Save graphs with unsaved changes (the next start then replays less)."""
        self._checks.wait()
        for (tenant, space), current in list(self._spaces.items()):
            self._maybe_save(tenant, space, current)

    def wait(self) -> None:
        """Wait for background checks under way (tests)."""
        self._checks.wait()
