"""Vector search behind one interface: in-process search (exact while a space is small,
an HNSW graph from `ann_min_vectors` on), or pgvector HNSW in PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from pathlib import Path
from typing import Protocol

import numpy as np
from sqlalchemy import Connection, TextClause, select, text

from rapport.core.store.repository import Store
from rapport.core.store.schema import vectors as vector_table
from rapport.core.vectors.inprocess import InProcessIndex
from rapport.core.vectors.space import Hit

BUILD_MEMORY = "1GB"
"""PostgreSQL's maintenance_work_mem while an HNSW index is built (a million 384-dim vectors
need about 1.6 GB; below that the build spills and is several times slower)."""

__all__ = ["ExactIndex", "Hit", "InProcessIndex", "PgVectorIndex", "VectorIndex", "make_index"]


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

    def search_many(self, tenant: str, space: str, queries: np.ndarray, k: int) -> list[list[Hit]]:
        """Unfiltered searches for several queries at once."""
        ...

    def matrix(self, tenant: str, space: str, ref_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Vectors aligned with `ref_ids` (zero rows where an id has none), and which have
        one: how a whole catalogue's vectors are read at once."""
        ...

    def refresh(self, tenant: str, space: str) -> None:
        """Bring the index of a space in step with the store now (build what is missing)."""
        ...

    def close(self) -> None: ...


class ExactIndex(InProcessIndex):
    """Brute-force search over in-memory matrices, kept in step with the store (no graph,
    nothing written to disk)."""

    def __init__(self, store: Store, model: str) -> None:
        super().__init__(store, model)


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
            # The graph is built much faster when it fits in maintenance memory.
            conn.execute(text(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'"))
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
        sql, params = self._statement(tenant, space, query, k + len(exclude), allowed)
        with self.store.engine.begin() as conn:
            _plan_settings(conn)
            rows = conn.execute(sql, params).all()
        blocked = set(exclude)
        hits = sorted(
            ((r.ref_id, float(r.score)) for r in rows if r.ref_id not in blocked),
            key=lambda hit: -hit[1],
        )
        return hits[:k]

    def explain(
        self,
        tenant: str,
        space: str,
        query: np.ndarray,
        k: int,
        *,
        allowed: Collection[str] | None = None,
        exclude: Collection[str] = (),
    ) -> list[str]:
        """PostgreSQL's plan for `search` with these arguments (EXPLAIN ANALYZE of the same
        statement under the same settings): shows whether the HNSW index answers it."""
        sql, params = self._statement(tenant, space, query, k + len(exclude), allowed)
        with self.store.engine.begin() as conn:
            _plan_settings(conn)
            return [
                str(line)
                for line in conn.execute(text(f"EXPLAIN ANALYZE {sql.text}"), params).scalars()
            ]

    def _statement(
        self,
        tenant: str,
        space: str,
        query: np.ndarray,
        limit: int,
        allowed: Collection[str] | None,
    ) -> tuple[TextClause, dict[str, object]]:
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
            "k": limit,
        }
        if allowed is not None:
            sql += " AND ref_id = ANY(:allowed)"
            params["allowed"] = list(allowed)
        sql += f" ORDER BY (vector::vector({dim})) <=> CAST(:q AS vector({dim})) LIMIT :k"
        return text(sql), params

    def vectors(self, tenant: str, space: str, ref_ids: list[str]) -> dict[str, np.ndarray]:
        rows = self.store.load_vectors(tenant, space, self.model, ref_ids=ref_ids)
        return {row.ref_id: row.vector for row in rows}

    def search_many(self, tenant: str, space: str, queries: np.ndarray, k: int) -> list[list[Hit]]:
        return [self.search(tenant, space, query, k) for query in queries]

    def matrix(self, tenant: str, space: str, ref_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        position = {ref: n for n, ref in enumerate(ref_ids)}
        result: np.ndarray | None = None
        has = np.zeros(len(ref_ids), dtype=bool)
        for ids, batch in self.store.iter_vectors(tenant, space, self.model):
            rows = [position.get(ref, -1) for ref in ids]
            if result is None:
                result = np.zeros((len(ref_ids), batch.shape[1]), dtype=np.float32)
            keep = np.array(rows) >= 0
            target = np.array(rows)[keep]
            result[target] = batch[keep]
            has[target] = True
        return (result if result is not None else np.zeros((len(ref_ids), 1), np.float32)), has

    def refresh(self, tenant: str, space: str) -> None:
        """Create the HNSW index for the space's dimension now (on a large table this takes
        a while, better at import than at the first search)."""
        with self.store.engine.connect() as conn:
            dim = conn.scalar(
                select(vector_table.c.dim)
                .where(
                    vector_table.c.tenant_id == tenant,
                    vector_table.c.space == space,
                    vector_table.c.model == self.model,
                )
                .limit(1)
            )
        if dim:
            self._ensure_index(int(dim))

    def close(self) -> None:
        """Nothing to keep: the database holds the index."""


def _plan_settings(conn: Connection) -> None:
    """Settings of a search's transaction, in one round trip.

    Filtered HNSW scans keep going until enough rows pass the filter (iterative scan).
    Every search is planned for its own arguments: psycopg prepares a statement after 5
    runs, and PostgreSQL then caches a generic plan that, not knowing how many ids a filter
    allows, scans and sorts them all instead of using the HNSW index (100k items, a third
    allowed: 115 ms instead of 30)."""
    conn.execute(
        text(
            "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
            "set_config('plan_cache_mode', 'force_custom_plan', true)"
        )
    )


def _pg_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"


def make_index(
    store: Store,
    model: str,
    kind: str = "auto",
    folder: Path | None = None,
    ann_min_vectors: int | None = None,
) -> VectorIndex:
    """pgvector on PostgreSQL (`auto`, `pgvector`); otherwise in-process search, with HNSW
    graphs saved under `folder` from `ann_min_vectors` on (`auto`), or exact only
    (`exact`, or when no folder is given)."""
    if kind == "pgvector" or (kind == "auto" and store.dialect == "postgresql"):
        if store.dialect != "postgresql":
            raise ValueError("vector_index 'pgvector' needs a PostgreSQL database_url")
        return PgVectorIndex(store, model)
    if kind == "exact" or folder is None or ann_min_vectors is None:
        return ExactIndex(store, model)
    return InProcessIndex(store, model, folder, ann_min_vectors)
