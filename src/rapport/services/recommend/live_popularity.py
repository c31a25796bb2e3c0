"""Popular and trending items from the event log, for lists before any model is trained."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from rapport.core.models import utcnow
from rapport.core.signals import SignalWeights
from rapport.core.store.repository import Store
from rapport.services.recommend.frame import ItemFrame

DAY = 86400.0


@dataclass
class PopularityStats:
    popularity: np.ndarray
    """log(1 + positive signal) per frame row."""
    trending: np.ndarray
    """log(1 + positive signal decayed with the half-life) per frame row."""


def popularity_stats(
    frame: ItemFrame,
    signals: Sequence[tuple[str, str, float | None, datetime]],
    weights: SignalWeights,
    now: float,
    half_life_days: float,
) -> PopularityStats:
    total = np.zeros(len(frame), dtype=np.float64)
    recent = np.zeros(len(frame), dtype=np.float64)
    for item_id, event_type, value, timestamp in signals:
        row = frame.position.get(item_id)
        strength = weights.of(event_type, value)
        if row is None or strength <= 0:
            continue
        age = max(0.0, now - timestamp.timestamp())
        total[row] += strength
        recent[row] += strength * 0.5 ** (age / (half_life_days * DAY))
    return PopularityStats(np.log1p(total).astype(np.float32), np.log1p(recent).astype(np.float32))


class PopularityCache:
    """Per-tenant popularity, recomputed at most every `ttl` seconds."""

    def __init__(
        self, store: Store, weights: SignalWeights, half_life_days: float = 7.0, ttl: float = 60.0
    ) -> None:
        self.store = store
        self.weights = weights
        self.half_life_days = half_life_days
        self.ttl = ttl
        self._cache: dict[str, tuple[float, ItemFrame, PopularityStats]] = {}
        self._lock = threading.Lock()

    def get(self, tenant: str, frame: ItemFrame) -> PopularityStats:
        cached = self._cache.get(tenant)
        if cached and time.monotonic() - cached[0] < self.ttl and cached[1] is frame:
            return cached[2]
        with self._lock:
            stats = popularity_stats(
                frame,
                self.store.item_signals(tenant),
                self.weights,
                utcnow().timestamp(),
                self.half_life_days,
            )
            self._cache[tenant] = (time.monotonic(), frame, stats)
            return stats
