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
class EventColumns:
    """A batch of item events as parallel columns: how the store hands events to training
    without building one record per event."""

    user_ids: list[str]
    item_ids: list[str]
    types: list[str]
    values: np.ndarray  # float64, NaN where the event has no value
    times: np.ndarray  # float64 epoch seconds


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
        about_items = [event for event in events if event.item_id is not None]
        columns = EventColumns(
            user_ids=[event.user_id for event in about_items],
            item_ids=[str(event.item_id) for event in about_items],
            types=[event.type for event in about_items],
            values=np.array([event.value for event in about_items], dtype=np.float64),
            times=np.array([event.timestamp.timestamp() for event in about_items]),
        )
        return cls.from_columns([columns], signals, item_ids)

    @classmethod
    def from_columns(
        cls,
        batches: Iterable[EventColumns],
        signals: SignalWeights | None = None,
        item_ids: list[str] | None = None,
    ) -> Interactions:
        """Aggregate item events given in column batches: per (user, item) the summed signal
        (clipped to [-1, 1]), the latest time and the latest rating. Users are numbered in
        order of their first kept event; items are sorted unless `item_ids` fixes them
        (events about other items are then dropped). Batches may come in any order."""
        signals = signals or SignalWeights()
        items_map = {item: i for i, item in enumerate(item_ids or [])}
        users_map: dict[str, int] = {}
        parts: list[list[np.ndarray]] = [[] for _ in range(5)]
        for batch in batches:
            users = (users_map.setdefault(user, len(users_map)) for user in batch.user_ids)
            if item_ids is None:
                items = (items_map.setdefault(item, len(items_map)) for item in batch.item_ids)
            else:
                items = (items_map.get(item, -1) for item in batch.item_ids)
            n = len(batch.user_ids)
            strength, rating = signals.of_columns(batch.types, batch.values)
            parts[0].append(np.fromiter(users, np.int64, n))
            parts[1].append(np.fromiter(items, np.int64, n))
            parts[2].append(strength)
            parts[3].append(rating)
            parts[4].append(batch.times)
        columns = [np.concatenate(part) if part else np.empty(0) for part in parts]
        if item_ids is None:  # items in sorted order, as callers expect
            item_ids = sorted(items_map)
            renumber = np.empty(len(item_ids), dtype=np.int64)
            renumber[[items_map[item] for item in item_ids]] = np.arange(len(item_ids))
            columns[1] = renumber[columns[1].astype(np.int64)]
        kept = columns[1] >= 0
        return cls._aggregate(list(users_map), item_ids, *(column[kept] for column in columns))

    @classmethod
    def _aggregate(
        cls,
        user_ids: list[str],
        item_ids: list[str],
        users: np.ndarray,
        items: np.ndarray,
        strength: np.ndarray,
        rating: np.ndarray,
        times: np.ndarray,
    ) -> Interactions:
        """One row per (user, item) from one row per event; pairs ordered by their first
        event (ties by arrival), users numbered in that order."""
        if not len(users):
            empty = np.empty(0, dtype=np.int32)
            return cls(
                [],
                item_ids,
                empty,
                empty,
                empty.astype(np.float32),
                empty.astype(np.float32),
                empty.astype(np.float64),
            )
        pair = users.astype(np.int64) * len(item_ids) + items
        order = np.lexsort((np.arange(len(pair)), times, pair))  # per pair, oldest first
        sorted_pair = pair[order]
        starts = np.flatnonzero(np.r_[True, sorted_pair[1:] != sorted_pair[:-1]])
        ends = np.r_[starts[1:], len(order)] - 1
        latest_rating = np.full(len(starts), np.nan)
        sorted_rating = rating[order]
        rated = np.flatnonzero(~np.isnan(sorted_rating))
        if len(rated):
            group = np.searchsorted(starts, rated, "right") - 1
            last = np.r_[group[1:] != group[:-1], True]
            latest_rating[group[last]] = sorted_rating[rated[last]]
        oldest = order[starts]
        pairs = np.lexsort((oldest, times[oldest]))  # by first event, whatever the input order
        pair_users = users[oldest][pairs]
        seen, first = np.unique(pair_users, return_index=True)
        by_arrival = seen[np.argsort(first)]
        renumber = np.empty(len(user_ids), dtype=np.int64)
        renumber[by_arrival] = np.arange(len(by_arrival))
        return cls(
            user_ids=[user_ids[user] for user in by_arrival],
            item_ids=item_ids,
            users=renumber[pair_users].astype(np.int32),
            items=items[oldest][pairs].astype(np.int32),
            strength=np.clip(np.add.reduceat(strength[order], starts)[pairs], -1, 1).astype(
                np.float32
            ),
            rating=latest_rating[pairs].astype(np.float32),
            time=times[order[ends]][pairs].astype(np.float64),
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
