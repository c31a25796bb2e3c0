"""User-item interactions as arrays: what recommendation models learn from and what
evaluation splits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rapport.core.models import Event
from rapport.core.signals import SignalWeights


@dataclass
class Interactions:
    """One row per (user, item) pair: the summed, clipped signal and the latest time."""

    user_ids: list[str]
    item_ids: list[str]
    users: np.ndarray  # int32 index into user_ids
    items: np.ndarray  # int32 index into item_ids
    strength: np.ndarray  # float32 in [-1, 1]
    rating: np.ndarray  # float32, NaN where no rating
    time: np.ndarray  # float64 epoch seconds of the latest event

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.user_ids), len(self.item_ids)

    def __len__(self) -> int:
        return len(self.users)

    @classmethod
    def from_events(
        cls,
        events: Iterable[Event],
        signals: SignalWeights | None = None,
        item_ids: list[str] | None = None,
    ) -> Interactions:
        """Aggregate events per (user, item). With `item_ids`, keep that item order and drop
        events about other items."""
        signals = signals or SignalWeights()
        pairs: dict[tuple[str, str], list[float]] = {}
        for event in events:
            if event.item_id is None:
                continue
            s = signals.strength(event)
            rating = event.value if event.type == "rate" and event.value is not None else np.nan
            t = event.timestamp.timestamp()
            row = pairs.get((event.user_id, event.item_id))
            if row is None:
                pairs[(event.user_id, event.item_id)] = [s, rating, t]
            else:
                row[0] += s
                if t >= row[2]:
                    row[2] = t
                    if not np.isnan(rating):
                        row[1] = rating
        return cls.from_pairs(pairs, item_ids)

    @classmethod
    def from_pairs(
        cls, pairs: dict[tuple[str, str], list[float]], item_ids: list[str] | None = None
    ) -> Interactions:
        users_map: dict[str, int] = {}
        if item_ids is None:
            item_ids = sorted({item for _, item in pairs})
        items_map = {item: i for i, item in enumerate(item_ids)}
        u, i, s, r, t = [], [], [], [], []
        for (user, item), (strength, rating, time) in pairs.items():
            index = items_map.get(item)
            if index is None:
                continue
            u.append(users_map.setdefault(user, len(users_map)))
            i.append(index)
            s.append(strength)
            r.append(rating)
            t.append(time)
        return cls(
            user_ids=list(users_map),
            item_ids=list(item_ids),
            users=np.asarray(u, dtype=np.int32),
            items=np.asarray(i, dtype=np.int32),
            strength=np.clip(np.asarray(s, dtype=np.float32), -1, 1),
            rating=np.asarray(r, dtype=np.float32),
            time=np.asarray(t, dtype=np.float64),
        )

    def subset(self, mask: np.ndarray) -> Interactions:
        """The same users and items, fewer rows."""
        return Interactions(
            self.user_ids,
            self.item_ids,
            self.users[mask],
            self.items[mask],
            self.strength[mask],
            self.rating[mask],
            self.time[mask],
        )

    def matrix(self, values: np.ndarray | None = None, positive_only: bool = True) -> sp.csr_matrix:
        """Users x items CSR matrix of `values` (default: signal strength)."""
        data = self.strength if values is None else values
        keep = data > 0 if positive_only else data != 0
        return sp.csr_matrix(
            (data[keep].astype(np.float32), (self.users[keep], self.items[keep])),
            shape=self.shape,
        )
