"""The catalogue as in-memory arrays, so request-time filtering and scoring are vectorised."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from rapport.core.models import Item
from rapport.core.store.freshness import Freshness
from rapport.core.store.repository import Store
from rapport.core.vectors.index import VectorIndex

ITEM_SPACE = "item"


@dataclass
class ItemFrame:
    """One tenant's items, column by column. Times are epoch seconds, NaN when absent."""

    items: list[Item]
    ids: list[str]
    position: dict[str, int]
    kind: np.ndarray  # object array of str
    active: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    created: np.ndarray
    price: np.ndarray
    original_price: np.ndarray
    categories: list[list[str]]
    tags: list[list[str]]
    vectors: np.ndarray  # rows aligned with ids; zero rows where an item has no vector
    has_vector: np.ndarray
    label_index: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, items: list[Item], vectors: dict[str, np.ndarray]) -> ItemFrame:
        ids = [item.id for item in items]
        dim = len(next(iter(vectors.values()))) if vectors else 1
        matrix = np.zeros((len(items), dim), dtype=np.float32)
        has_vector = np.zeros(len(items), dtype=bool)
        for row, item_id in enumerate(ids):
            vector = vectors.get(item_id)
            if vector is not None:
                matrix[row] = vector
                has_vector[row] = True

        def seconds(values: list[datetime | None]) -> np.ndarray:
            return np.array([v.timestamp() if v else np.nan for v in values], dtype=np.float64)

        def number(values: list[float | None]) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        frame = cls(
            items=items,
            ids=ids,
            position={item_id: i for i, item_id in enumerate(ids)},
            kind=np.array([item.kind for item in items], dtype=object),
            active=np.array([item.active for item in items], dtype=bool),
            lat=number([item.location.lat if item.location else None for item in items]),
            lon=number([item.location.lon if item.location else None for item in items]),
            starts=seconds([item.starts_at for item in items]),
            ends=seconds([item.ends_at for item in items]),
            created=seconds([item.created_at for item in items]),
            price=number([item.price for item in items]),
            original_price=number([item.original_price for item in items]),
            categories=[item.categories for item in items],
            tags=[item.tags for item in items],
            vectors=matrix,
            has_vector=has_vector,
        )
        frame.label_index = frame._labels()
        return frame

    def _labels(self) -> dict[str, np.ndarray]:
        """Positions of items per `category:X` and `tag:X` label."""
        found: dict[str, list[int]] = {}
        for row in range(len(self.ids)):
            for value in self.categories[row]:
                found.setdefault(f"category:{value}", []).append(row)
            for value in self.tags[row]:
                found.setdefault(f"tag:{value}", []).append(row)
        return {label: np.array(rows, dtype=np.int64) for label, rows in found.items()}

    def with_label(self, field_name: str, value: str) -> np.ndarray:
        mask = np.zeros(len(self.ids), dtype=bool)
        rows = self.label_index.get(f"{field_name}:{value}")
        if rows is not None:
            mask[rows] = True
        return mask


class FrameCache:
    """Keeps one `ItemFrame` per tenant, rebuilt only when the tenant's items or item
    vectors changed (two cheap aggregate queries, skipped while nothing was written)."""

    def __init__(self, store: Store, index: VectorIndex, model: str) -> None:
        self.store = store
        self.index = index
        self.model = model
        self._frames: dict[str, tuple[tuple[object, ...], ItemFrame, Freshness]] = {}
        self._lock = threading.Lock()

    def get(self, tenant: str) -> ItemFrame:
        writes = self.store.writes
        cached = self._frames.get(tenant)
        if cached and cached[2].trusted(writes):
            return cached[1]
        state = (
            self.store.item_state(tenant),
            self.store.vector_state(tenant, ITEM_SPACE, self.model),
        )
        if cached and cached[0] == state:
            cached[2].mark(writes)
            return cached[1]
        with self._lock:
            items = self.store.all_items(tenant)
            vectors = self.index.vectors(tenant, ITEM_SPACE, [item.id for item in items])
            frame = ItemFrame.build(items, vectors)
            freshness = Freshness()
            freshness.mark(writes)
            self._frames[tenant] = (state, frame, freshness)
            return frame
