"""Catalog vectors: embedding items and finding similar ones."""

from __future__ import annotations

from collections.abc import Sequence

from rapport.core.errors import NotFound
from rapport.core.models import Item, Schema
from rapport.core.requests import ItemFilter, SimilarRequest
from rapport.core.store.repository import Store
from rapport.core.vectors.embedder import Embedder
from rapport.core.vectors.index import VectorIndex
from rapport.core.vectors.refresh import Progress, refresh_vectors

ITEM_SPACE = "item"
CHUNK = 20_000  # items read and checked at a time when the whole catalogue is indexed


class SimilarItem(Schema):
    """An item close to the one asked about, by text embedding."""

    item_id: str
    """The similar item."""
    score: float
    """Cosine similarity of the two items' embeddings."""
    item: Item
    """The item itself, as stored."""


class Catalog:
    """Item vectors kept in step with item texts, and item-to-item similarity."""

    def __init__(self, store: Store, embedder: Embedder, index: VectorIndex) -> None:
        self.store = store
        self.embedder = embedder
        self.index = index

    def index_items(
        self, tenant: str, items: Sequence[Item] | None = None, *, progress: Progress | None = None
    ) -> int:
        """Embed items whose text changed. Without `items`: every item of the tenant, read
        in chunks so a large catalogue never sits in memory at once, and then the vector
        index is brought in step (on a large catalogue this builds its HNSW graph)."""
        if items is not None:
            return self._refresh(tenant, items, progress)
        ids = self.store.item_ids(tenant, ItemFilter(include_inactive=True))
        embedded = 0
        for start in range(0, len(ids), CHUNK):
            chunk = self.store.get_items(tenant, ids[start : start + CHUNK])
            embedded += self._refresh(tenant, chunk, progress)
        self.index.refresh(tenant, ITEM_SPACE)
        return embedded

    def _refresh(self, tenant: str, items: Sequence[Item], progress: Progress | None) -> int:
        records = [(item.id, item.embedding_text()) for item in items]
        return refresh_vectors(
            self.store, self.embedder, tenant, ITEM_SPACE, records, progress=progress
        )

    def similar_items(
        self, tenant: str, item_id: str, request: SimilarRequest | None = None
    ) -> list[SimilarItem]:
        """Items closest to `item_id` in embedding space, optionally filtered."""
        request = request or SimilarRequest()
        item = self.store.get_item(tenant, item_id)  # 404 for unknown items
        own = self.index.vectors(tenant, ITEM_SPACE, [item_id]).get(item_id)
        if own is None:
            # Not embedded yet (e.g. written by a batch still being indexed): do it now.
            self.index_items(tenant, [item])
            own = self.index.vectors(tenant, ITEM_SPACE, [item_id]).get(item_id)
            if own is None:
                raise NotFound("item vector", item_id)
        query = request.only()
        allowed = self.store.item_ids(tenant, query) if query != ItemFilter() else None
        hits = self.index.search(
            tenant, ITEM_SPACE, own, request.k, allowed=allowed, exclude=[item_id]
        )
        found = {item.id: item for item in self.store.get_items(tenant, [i for i, _ in hits])}
        # Inactive items stay indexed but are not suggested unless asked for.
        return [
            SimilarItem(item_id=i, score=score, item=found[i])
            for i, score in hits
            if i in found and (found[i].active or query.include_inactive)
        ][: request.k]
