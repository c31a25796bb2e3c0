"""Vector search behind one interface: exact in-process search, or pgvector HNSW."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
from sqlalchemy import text

from rapport.core.store.freshness import Freshness
from rapport.core.store.repository import Store

Hit = tuple[str, float]


class VectorIndex(Protocol):
    """Nearest neighbours by cosine similarity within one tenant's vector space."""

    def search(
        self,
        tenant: str,
        space: str,
        query: np.ndarray,
        k: int,
        *,
        allowed: Collection[str] | None = None,
        exclude: Collection[str] = (),
    ) -> list[Hit]: ...

    def vectors(self, tenant: str, space: str, ref_ids: list[str]) -> dict[str, np.ndarray]: ...


@dataclass
class _Space:
    ids: list[str] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    count: int = 0
    newest: datetime | None = None
    freshness: Freshness = field(default_factory=Freshness)


class ExactIndex:
    """Brute-force search over an in-memory matrix, kept in step with the store.

    A search compares the space's (count, newest update) in the store with what is loaded
    and loads only the rows changed since, so new items are searchable without a rebuild.
    The comparison is skipped while this process wrote nothing for a second, so writes from
    other processes show up within that second.
    """

    def __init__(self, store: Store, model: str) -> None:
        self.store = store
        self.model = model
        self._spaces: dict[tuple[str, str], _Space] = {}
        self._lock = threading.Lock()

    def _space(self, tenant: str, space: str) -> _Space:
        with self._lock:
            key = (tenant, space)
            current = self._spaces.get(key) or _Space()
            writes = self.store.writes
            if current.freshness.trusted(writes):
                return current
            count, newest = self.store.vector_state(tenant, space, self.model)
            if count != current.count or newest != current.newest:
                current = self._load(tenant, space, current, newest)
                if current.count != count:  # rows were deleted: start again
                    current = self._load(tenant, space, _Space(), newest)
            current.freshness.mark(writes)
            self._spaces[key] = current
            return current

    def _load(self, tenant: str, space: str, current: _Space, newest: datetime | None) -> _Space:
        """Add or replace the rows changed since `current` was loaded."""
        rows = self.store.load_vectors(tenant, space, self.model, changed_after=current.newest)
        additions = []
        for row in rows:
            at = current.position.get(row.ref_id)
            if at is None:
                current.position[row.ref_id] = len(current.ids)
                current.ids.append(row.ref_id)
                additions.append(row.vector)
            else:
                current.matrix[at] = row.vector
        if additions:
            stacked = np.vstack(additions).astype(np.float32)
            current.matrix = (
                stacked if current.matrix.size == 0 else np.vstack([current.matrix, stacked])
            )
        current.newest = newest
        current.count = len(current.ids)
        return current

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
        data = self._space(tenant, space)
        if not data.ids or k <= 0:
            return []
        scores = data.matrix @ np.asarray(query, dtype=np.float32)
        if allowed is not None:
            rows = np.array([data.position[i] for i in allowed if i in data.position], dtype=int)
            if rows.size == 0:
                return []
        else:
            rows = np.arange(len(data.ids))
        blocked = {data.position[i] for i in exclude if i in data.position}
        take = min(len(rows), k + len(blocked))
        subset = scores[rows]
        top = (
            np.argpartition(-subset, take - 1)[:take] if take < len(rows) else np.arange(len(rows))
        )
        ordered = top[np.argsort(-subset[top], kind="stable")]
        hits = [(data.ids[rows[i]], float(subset[i])) for i in ordered if rows[i] not in blocked]
        return hits[:k]

    def vectors(self, tenant: str, space: str, ref_ids: list[str]) -> dict[str, np.ndarray]:
        data = self._space(tenant, space)
        return {i: data.matrix[data.position[i]] for i in ref_ids if i in data.position}


class PgVectorIndex:
    """pgvector HNSW search inside PostgreSQL; one partial index per model and dimension."""

    def __init__(self, store: Store, model: str) -> None:
        self.store = store
        self.model = model
        self._indexed: set[int] = set()

    def _ensure_index(self, dim: int) -> None:
        if dim in self._indexed:
            return
        digest = hashlib.sha1(f"{self.model}:{dim}".encode()).hexdigest()[:12]
        literal = self.model.replace("'", "''")
        with self.store.engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS ix_vectors_hnsw_{digest} ON vectors "
                    f"USING hnsw ((vector::vector({dim})) vector_cosine_ops) "
                    f"WHERE model = '{literal}' AND dim = {dim}"
                )
            )
        self._indexed.add(dim)

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
        if k <= 0 or (allowed is not None and not allowed):
            return []
        query = np.asarray(query, dtype=np.float32)
        dim = int(query.shape[0])
        self._ensure_index(dim)
        literal = self.model.replace("'", "''")
        # Model and dim are literals so the planner can match the partial HNSW index.
        sql = (
            f"SELECT ref_id, 1 - ((vector::vector({dim})) <=> CAST(:q AS vector({dim}))) AS score "
            f"FROM vectors WHERE model = '{literal}' AND dim = {dim} "
            "AND tenant_id = :tenant AND space = :space"
        )
        params: dict[str, object] = {
            "q": _pg_literal(query),
            "tenant": tenant,
            "space": space,
            "k": k + len(exclude),
        }
        if allowed is not None:
            sql += " AND ref_id = ANY(:allowed)"
            params["allowed"] = list(allowed)
        sql += f" ORDER BY (vector::vector({dim})) <=> CAST(:q AS vector({dim})) LIMIT :k"
        with self.store.engine.begin() as conn:
            # Filtered HNSW scans keep going until enough rows pass the filter.
            conn.execute(text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
            rows = conn.execute(text(sql), params).all()
        blocked = set(exclude)
        hits = sorted(
            ((r.ref_id, float(r.score)) for r in rows if r.ref_id not in blocked),
            key=lambda hit: -hit[1],
        )
        return hits[:k]

    def vectors(self, tenant: str, space: str, ref_ids: list[str]) -> dict[str, np.ndarray]:
        rows = self.store.load_vectors(tenant, space, self.model, ref_ids=ref_ids)
        return {row.ref_id: row.vector for row in rows}


def _pg_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"


def make_index(store: Store, model: str, kind: str = "auto") -> VectorIndex:
    if kind == "pgvector" or (kind == "auto" and store.dialect == "postgresql"):
        if store.dialect != "postgresql":
            raise ValueError("vector_index 'pgvector' needs a PostgreSQL database_url")
        return PgVectorIndex(store, model)
    return ExactIndex(store, model)
