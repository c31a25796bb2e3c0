"""Popular and trending items from the event log, for lists before any model is trained and
for users with little history.

Computed from aggregates the database returns (events counted per item, type and value,
and per day for the recent weeks), never from every event, and refreshed in the
background, so ten million events cost one grouped scan now and then, not a request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from rapport.core.models import utcnow
from rapport.core.signals import SignalWeights
from rapport.core.store.repository import Store
from rapport.services.recommend.frame import ItemFrame

DAY = 86400.0
HALF_LIVES = 8
"""Events older than this many half-lives are left out of "trending" (weight under 0.4%)."""
Counts = Sequence[tuple[str, str, float | None, datetime | None, int]]


@dataclass
class PopularityStats:
    popularity: np.ndarray
    """log(1 + positive signal) per frame row (rows added since count 0)."""
    trending: np.ndarray
    """log(1 + positive signal decayed with the half-life) per frame row."""
    _orders: dict[str, np.ndarray] = field(default_factory=dict)

    def at(self, name: str, rows: np.ndarray) -> np.ndarray:
        values = self.popularity if name == "popularity" else self.trending
        inside = rows < len(values)
        return np.where(inside, values[np.where(inside, rows, 0)], 0.0).astype(np.float64)

    def order(self, name: str) -> np.ndarray:
        """Rows from the highest value down."""
        if name not in self._orders:
            values = self.popularity if name == "popularity" else self.trending
            self._orders[name] = np.argsort(-values, kind="stable")
        return self._orders[name]


def popularity_stats(
    frame: ItemFrame,
    totals: Counts,
    recent: Counts,
    weights: SignalWeights,
    now: float,
    half_life_days: float,
) -> PopularityStats:
    """From `(item_id, type, value, day, count)` aggregates: all-time ones, and per-day
    ones for the recent weeks (each day's events decayed from its middle)."""
    total = np.zeros(len(frame), dtype=np.float64)
    decayed = np.zeros(len(frame), dtype=np.float64)
    for item_id, event_type, value, _, count in totals:
        row = frame.position.get(item_id)
        strength = weights.of(event_type, value)
        if row is not None and strength > 0:
            total[row] += strength * count
    for item_id, event_type, value, day, count in recent:
        row = frame.position.get(item_id)
        strength = weights.of(event_type, value)
        if row is None or strength <= 0 or day is None:
            continue
        age = max(0.0, now - day.timestamp() - DAY / 2)
        decayed[row] += strength * count * 0.5 ** (age / (half_life_days * DAY))
    return PopularityStats(np.log1p(total).astype(np.float32), np.log1p(decayed).astype(np.float32))


class PopularityCache:
    """Per-tenant popularity, recomputed in the background once older than `ttl` seconds
    (or 20 times what the last computation took, on large logs)."""

    def __init__(
        self, store: Store, weights: SignalWeights, half_life_days: float = 7.0, ttl: float = 60.0
    ) -> None:
        self.store = store
        self.weights = weights
        self.half_life_days = half_life_days
        self.ttl = ttl
        self._cache: dict[str, tuple[float, float, ItemFrame, PopularityStats]] = {}
        self._lock = threading.Lock()
        self._running: set[str] = set()

    def get(self, tenant: str, frame: ItemFrame) -> PopularityStats:
        cached = self._cache.get(tenant)
        if cached is None or cached[2] is not frame:
            with self._lock:  # first use, or the frame was rebuilt: rows changed meaning
                cached = self._cache.get(tenant)
                if cached is None or cached[2] is not frame:
                    return self._compute(tenant, frame)
            return cached[3]
        computed, cost, _, stats = cached
        if time.monotonic() - computed >= max(self.ttl, 20 * cost) and tenant not in self._running:
            self._running.add(tenant)
            threading.Thread(target=self._refresh, args=(tenant, frame), daemon=True).start()
        return stats

    def _refresh(self, tenant: str, frame: ItemFrame) -> None:
        try:
            with self._lock:
                self._compute(tenant, frame)
        finally:
            self._running.discard(tenant)

    def _compute(self, tenant: str, frame: ItemFrame) -> PopularityStats:
        started = time.monotonic()
        now = utcnow()
        since = now - timedelta(days=HALF_LIVES * self.half_life_days)
        stats = popularity_stats(
            frame,
            self.store.signal_counts(tenant),
            self.store.signal_counts(tenant, since=since),
            self.weights,
            now.timestamp(),
            self.half_life_days,
        )
        self._cache[tenant] = (time.monotonic(), time.monotonic() - started, frame, stats)
        return stats
