"""A tenant's activity as parallel arrays in time order: what abandonment risk and the
next-action fallback learn from (any event counts as activity, with or without an item)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ActivityLog:
    """One row per event, oldest first. `users` and `items` index `user_ids` and `item_ids`
    (-1 for an event without an item)."""

    user_ids: list[str]
    item_ids: list[str]
    users: np.ndarray  # int64
    items: np.ndarray  # int64, -1 without an item
    types: np.ndarray  # str (object)
    values: np.ndarray  # float64, NaN without a value
    times: np.ndarray  # float64 epoch seconds

    def __len__(self) -> int:
        return len(self.times)

    @classmethod
    def from_columns(
        cls,
        users: list[str],
        items: list[str | None],
        types: list[str],
        values: list[float | None] | np.ndarray,
        times: list[float] | np.ndarray,
    ) -> ActivityLog:
        """From raw columns in any order (sorted here by time, ties kept in given order)."""
        t = np.asarray(times, dtype=np.float64)
        order = np.argsort(t, kind="stable")
        user_ids, user_codes = np.unique(np.asarray(users, dtype=object), return_inverse=True)
        present = [i for i in items if i is not None]
        item_ids = sorted(set(present))
        position = {item_id: n for n, item_id in enumerate(item_ids)}
        item_codes = np.array([-1 if i is None else position[i] for i in items], dtype=np.int64)
        value = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        return cls(
            user_ids=[str(u) for u in user_ids],
            item_ids=item_ids,
            users=np.asarray(user_codes, dtype=np.int64)[order],
            items=item_codes[order],
            types=np.asarray(types, dtype=object)[order],
            values=value[order],
            times=t[order],
        )

    def before(self, moment: float) -> ActivityLog:
        """The events at or before `moment` (epoch seconds)."""
        end = int(np.searchsorted(self.times, moment, side="right"))
        return ActivityLog(
            self.user_ids,
            self.item_ids,
            self.users[:end],
            self.items[:end],
            self.types[:end],
            self.values[:end],
            self.times[:end],
        )

    def only_users(self, keep: np.ndarray) -> ActivityLog:
        """The events of the users whose codes are in `keep` (codes unchanged)."""
        rows = np.isin(self.users, keep)
        return ActivityLog(
            self.user_ids,
            self.item_ids,
            self.users[rows],
            self.items[rows],
            self.types[rows],
            self.values[rows],
            self.times[rows],
        )
