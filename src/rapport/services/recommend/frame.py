"""The catalogue as in-memory columns, so request-time filters and scores are vectorised
and a request touches only its candidate rows.

Built once per tenant, then kept in step with the store row by row (new and changed items,
their vectors, deletions), so a write to a million-item catalogue costs the rows written,
not a rebuild. Whole `Item` records are not kept per row: the few a list shows are read
from the store and kept in a small cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from rapport.core.models import Item
from rapport.core.requests import ItemFilter
from rapport.core.store.freshness import BackgroundChecks, Freshness
from rapport.core.store.repository import Store
from rapport.core.vectors.index import VectorIndex

ITEM_SPACE = "item"
LEVELS = {"beginner": 0, "intermediate": 1, "advanced": 2, "expert": 3}
ITEM_CACHE = 20_000
"""Whole items kept in memory for building lists (most lists show popular items)."""
REBUILD_SHARE = 0.25
"""A change touching more than this share of the rows rebuilds the frame instead."""
NUMBERS = ("lat", "lon", "starts", "ends", "created", "price", "original_price")
NO_LEVEL = -1


def _seconds(value: datetime | None) -> float:
    return value.timestamp() if value is not None else np.nan


def _number(value: float | None) -> float:
    return np.nan if value is None else float(value)


class ItemFrame:
    """One tenant's items, column by column; times are epoch seconds, NaN when absent.

    Columns are views of the first `len(frame)` rows of buffers with spare capacity, so
    appending does not copy a million rows; a reader holding the frame keeps seeing the
    rows that existed when it looked.
    """

    def __init__(self, fetch: Callable[[list[str]], list[Item]], dim: int = 1) -> None:
        self._fetch = fetch
        self.ids: list[str] = []
        self.position: dict[str, int] = {}
        self.titles: list[str] = []
        self.categories: list[list[str]] = []
        self.tags: list[list[str]] = []
        self.kind_codes: dict[str, int] = {}
        self._labels: dict[str, list[int]] = {}
        self._labels_built = False
        self._label_arrays: dict[str, np.ndarray] = {}
        self._interned: dict[str, str] = {}
        self._buffers: dict[str, np.ndarray] = {}
        self._size = 0
        self._dim = dim
        self._items: OrderedDict[str, Item] = OrderedDict()
        self._items_lock = threading.Lock()
        self.generation = 0
        """Bumped on every change: caches derived from the frame compare it."""
        self.live = 0
        """Rows of items that still exist."""
        self._allocate(0)

    def __len__(self) -> int:
        return self._size

    # -- columns ---------------------------------------------------------------------------

    def _allocate(self, capacity: int) -> None:
        old = self._buffers
        specs: dict[str, tuple[tuple[int, ...], Any, Any]] = {
            "kind_code": ((capacity,), np.int32, 0),
            "active": ((capacity,), bool, False),
            "alive": ((capacity,), bool, False),
            "has_vector": ((capacity,), bool, False),
            "level": ((capacity,), np.int8, NO_LEVEL),
            "vectors": ((capacity, self._dim), np.float32, 0.0),
            **{name: ((capacity,), np.float64, np.nan) for name in NUMBERS},
        }
        buffers = {}
        for name, (shape, dtype, fill) in specs.items():
            buffer = np.full(shape, fill, dtype=dtype)
            kept = old.get(name)
            # (vectors of another width are not kept: the first vectors set the width)
            if kept is not None and kept.shape[1:] == buffer.shape[1:]:
                buffer[: len(kept)] = kept
            buffers[name] = buffer
        self._buffers = buffers
        self._publish()

    def _publish(self) -> None:
        """Point the public columns at the first `len(self)` rows of the buffers."""
        n = self._size
        b = self._buffers
        self.kind_code = b["kind_code"][:n]
        self.active = b["active"][:n]
        self.alive = b["alive"][:n]
        """False for rows of deleted items (their row numbers stay until a rebuild)."""
        self.has_vector = b["has_vector"][:n]
        self.level = b["level"][:n]
        """Difficulty as a `LEVELS` number, -1 when unknown."""
        self.vectors = b["vectors"][:n]
        self.lat = b["lat"][:n]
        self.lon = b["lon"][:n]
        self.starts = b["starts"][:n]
        self.ends = b["ends"][:n]
        self.created = b["created"][:n]
        self.price = b["price"][:n]
        self.original_price = b["original_price"][:n]
        self.generation += 1

    @property
    def kind(self) -> np.ndarray:
        """Kind of each row, as an object array of names (filters use `kind_code`)."""
        cached = getattr(self, "_kind", None)
        if cached is None or cached[0] != self.generation:
            names = np.array(list(self.kind_codes) or [""], dtype=object)
            cached = (self.generation, names[self.kind_code])
            self._kind = cached
        return cached[1]

    def _intern(self, values: Iterable[str]) -> list[str]:
        return [self._interned.setdefault(v, v) for v in values]

    # -- changes ---------------------------------------------------------------------------

    def upsert_rows(self, rows: Sequence[Any]) -> np.ndarray:
        """Write store rows (new items appended, known ones replaced); returns their frame
        rows."""
        added = [r for r in rows if r.id not in self.position]
        if self._size + len(added) > len(self._buffers["active"]):
            self._allocate(max(self._size + len(added), 2 * len(self._buffers["active"]), 64))
        result = np.empty(len(rows), dtype=np.int64)
        b = self._buffers
        for n, row in enumerate(rows):
            at = self.position.get(row.id)
            new = at is None
            if at is None:
                at = self._size
                self._size += 1
                self.ids.append(row.id)
                self.position[row.id] = at
                self.titles.append(row.title)
                self.categories.append(self._intern(row.categories))
                self.tags.append(self._intern(row.tags))
                self.live += 1
            else:
                if not b["alive"][at]:
                    self.live += 1
                self.titles[at] = row.title
                self.categories[at] = self._intern(row.categories)
                self.tags[at] = self._intern(row.tags)
                self._labels_built = False  # its labels may have changed: rebuilt on next use
                self._items.pop(row.id, None)
            result[n] = at
            b["kind_code"][at] = self.kind_codes.setdefault(row.kind, len(self.kind_codes))
            b["active"][at] = row.active
            b["alive"][at] = True
            level = str((row.attributes or {}).get("difficulty", "")).lower()
            b["level"][at] = LEVELS.get(level, NO_LEVEL)
            b["lat"][at] = _number(row.lat)
            b["lon"][at] = _number(row.lon)
            b["starts"][at] = _seconds(row.starts_at)
            b["ends"][at] = _seconds(row.ends_at)
            b["created"][at] = _seconds(row.created_at)
            b["price"][at] = _number(row.price)
            b["original_price"][at] = _number(row.original_price)
            if new and self._labels_built:
                self._add_labels(at)
        self._label_arrays = {}
        self._publish()
        return result

    def set_vectors(self, rows: np.ndarray, matrix: np.ndarray, has: np.ndarray) -> None:
        if len(rows) == 0:
            return
        if matrix.shape[1] != self._dim:
            self._dim = matrix.shape[1]
            self._allocate(len(self._buffers["active"]))
        self._buffers["vectors"][rows] = np.where(has[:, None], matrix, 0.0)
        self._buffers["has_vector"][rows] = has
        self._publish()

    def remove(self, ids: Iterable[str]) -> None:
        """Mark the rows of deleted items dead (row numbers of the others do not move)."""
        rows = [self.position[i] for i in ids if i in self.position]
        if not rows:
            return
        alive = self._buffers["alive"]
        self.live -= int(alive[rows].sum())
        alive[rows] = False
        for row in rows:
            self._items.pop(self.ids[row], None)
        self._publish()

    # -- labels ----------------------------------------------------------------------------

    def _add_labels(self, row: int) -> None:
        for value in self.categories[row]:
            self._labels.setdefault(f"category:{value}", []).append(row)
        for value in self.tags[row]:
            self._labels.setdefault(f"tag:{value}", []).append(row)

    @property
    def label_index(self) -> dict[str, list[int]]:
        """Rows per `category:X` and `tag:X` label (built on first use)."""
        if not self._labels_built:
            self._labels = {}
            for row in range(self._size):
                self._add_labels(row)
            self._labels_built = True
            self._label_arrays = {}
        return self._labels

    def label_rows(self, field_name: str, value: str) -> np.ndarray:
        key = f"{field_name}:{value}"
        found = self._label_arrays.get(key)
        if found is None:
            found = np.array(self.label_index.get(key, []), dtype=np.int64)
            self._label_arrays[key] = found
        return found

    def with_label(self, field_name: str, value: str) -> np.ndarray:
        mask = np.zeros(self._size, dtype=bool)
        mask[self.label_rows(field_name, value)] = True
        return mask

    # -- whole items -----------------------------------------------------------------------

    def items_at(self, rows: Sequence[int]) -> list[Item]:
        """The stored items of these rows (read from the store unless recently shown)."""
        ids = [self.ids[int(r)] for r in rows]
        with self._items_lock:
            missing = [i for i in ids if i not in self._items]
        if missing:
            found = {item.id: item for item in self._fetch(missing)}
            with self._items_lock:
                self._items.update(found)
                while len(self._items) > ITEM_CACHE:
                    self._items.popitem(last=False)
        with self._items_lock:
            return [self._items[i] for i in ids]

    def preload(self, batch: int = 1000) -> None:
        """Read every row's item into the item cache now, when they all fit, so requests
        never wait for the store to show an item for the first time."""
        if len(self) > ITEM_CACHE:
            return
        live = np.flatnonzero(self.alive).tolist()  # removed rows have no stored item
        for start in range(0, len(live), batch):
            self.items_at(live[start : start + batch])

    def item(self, row: int) -> Item:
        return self.items_at([row])[0]

    @property
    def items(self) -> list[Item]:
        """Every row's item, read from the store: only for whole-catalogue work (item search
        indexes every text); requests use `items_at`."""
        cached = getattr(self, "_all_items", None)
        if cached is None or cached[0] != self.generation:
            found = {item.id: item for item in self._fetch(list(self.ids))}
            placeholder = Item.model_construct(id="", kind="item", title="")
            cached = (self.generation, [found.get(i, placeholder) for i in self.ids])
            self._all_items = cached
        return cached[1]

    def by_created(self) -> np.ndarray:
        """Live rows, newest first (rows without a creation time last)."""
        cached = getattr(self, "_by_created", None)
        if cached is None or cached[0] != self.generation:
            created = np.where(self.alive & ~np.isnan(self.created), self.created, -np.inf)
            cached = (self.generation, np.argsort(-created, kind="stable"))
            self._by_created = cached
        return cached[1]


class FrameCache:
    """One `ItemFrame` per tenant, kept in step with the store: at once after this
    process's own item or vector writes, in the background otherwise (writes from other
    processes show up within about a second)."""

    def __init__(self, store: Store, index: VectorIndex, model: str) -> None:
        self.store = store
        self.index = index
        self.model = model
        self._frames: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self._checks = BackgroundChecks()

    def _writes(self) -> int:
        return self.store.table_writes["items"] + self.store.table_writes["vectors"]

    def get(self, tenant: str) -> ItemFrame:
        cached = self._frames.get(tenant)
        if cached is None:
            with self._lock:
                cached = self._frames.get(tenant)
                if cached is None:
                    cached = _Cached(ItemFrame(lambda ids: self.store.get_items(tenant, ids)))
                    self._sync(tenant, cached, force=True)
                    self._frames[tenant] = cached
            return cached.frame
        if cached.freshness.wrote_here(self._writes()):
            self._sync(tenant, cached)
        elif cached.freshness.due():
            self._checks.start(tenant, lambda: self._sync(tenant, cached))
        return cached.frame

    def wait(self) -> None:
        """Wait for background checks under way (tests)."""
        self._checks.wait()

    def _sync(self, tenant: str, cached: _Cached, force: bool = False) -> None:
        with cached.lock:
            cached.freshness.check(self._writes(), lambda: self._compare(tenant, cached), force)

    def _compare(self, tenant: str, cached: _Cached) -> None:
        items = self.store.item_state(tenant)
        vectors = self.store.vector_state(tenant, ITEM_SPACE, self.model)
        if items != cached.items or vectors != cached.vectors:
            self._apply(tenant, cached, items, vectors)

    def _apply(
        self,
        tenant: str,
        cached: _Cached,
        items: tuple[int, datetime | None],
        vectors: tuple[int, datetime | None],
    ) -> None:
        frame = cached.frame
        changed = abs(items[0] - frame.live)
        if len(frame) and changed > REBUILD_SHARE * len(frame):
            frame = ItemFrame(frame._fetch)
            cached.items = cached.vectors = (0, None)
        first = len(frame) == 0  # item rows bring their vectors: no separate pass
        if items != cached.items:
            for batch in self.store.iter_item_rows(tenant, changed_after=cached.items[1]):
                rows = frame.upsert_rows(batch)
                # Vectors of these items, whichever was written first.
                matrix, has = self.index.matrix(tenant, ITEM_SPACE, [r.id for r in batch])
                frame.set_vectors(rows, matrix, has)
            if frame.live != items[0]:  # some were deleted
                stored = set(self.store.item_ids(tenant, ItemFilter(include_inactive=True)))
                frame.remove([i for i in frame.ids if i not in stored])
        if vectors != cached.vectors and not first:
            for ids, matrix in self.store.iter_vectors(
                tenant, ITEM_SPACE, self.model, changed_after=cached.vectors[1]
            ):
                known = [(n, frame.position[i]) for n, i in enumerate(ids) if i in frame.position]
                if known:
                    picked = np.array([n for n, _ in known])
                    rows = np.array([r for _, r in known], dtype=np.int64)
                    frame.set_vectors(rows, matrix[picked], np.ones(len(rows), dtype=bool))
        cached.frame, cached.items, cached.vectors = frame, items, vectors


class _Cached:
    def __init__(self, frame: ItemFrame) -> None:
        self.frame = frame
        self.items: tuple[int, datetime | None] = (0, None)
        self.vectors: tuple[int, datetime | None] = (0, None)
        self.freshness = Freshness()
        self.lock = threading.Lock()
