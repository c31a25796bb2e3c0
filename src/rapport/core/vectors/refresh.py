"""Keeping stored vectors in step with their texts, embedding only what changed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog

from rapport.core.models import content_hash
from rapport.core.store.repository import Store
from rapport.core.vectors.embedder import Embedder

log = structlog.get_logger(__name__)

Progress = Callable[[int], None]


def refresh_vectors(
    store: Store,
    embedder: Embedder,
    tenant: str,
    space: str,
    records: Sequence[tuple[str, str]],
    *,
    batch_size: int = 256,
    progress: Progress | None = None,
) -> int:
    """Make sure each `(ref_id, text)` has a vector from `embedder`; returns how many were
    embedded. Unchanged texts are skipped; texts already embedded elsewhere in
    the same tenant are reused (never across tenants: see `Store.vectors_by_hash`)."""
    hashes = {ref: content_hash(text) for ref, text in records}
    stored = store.vector_hashes(tenant, space, embedder.name, list(hashes))
    stale = [(ref, text) for ref, text in records if stored.get(ref) != hashes[ref]]
    if progress:
        progress(len(records) - len(stale))
    reusable = store.vectors_by_hash(tenant, embedder.name, [hashes[ref] for ref, _ in stale])
    embedded = 0
    for start in range(0, len(stale), batch_size):
        batch = stale[start : start + batch_size]
        missing = [(ref, text) for ref, text in batch if hashes[ref] not in reusable]
        if missing:
            matrix = embedder.embed([text for _, text in missing])
            reusable.update(
                (hashes[ref], row) for (ref, _), row in zip(missing, matrix, strict=True)
            )
            embedded += len(missing)
        store.upsert_vectors(
            tenant,
            space,
            embedder.name,
            [(ref, hashes[ref], reusable[hashes[ref]]) for ref, _ in batch],
        )
        if progress:
            progress(len(batch))
    if stale:
        log.info(
            "vectors refreshed", tenant=tenant, space=space, changed=len(stale), embedded=embedded
        )
    return embedded
