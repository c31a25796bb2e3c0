"""Users' interaction histories in time order: what every model scores from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rapport.core.interactions import Interactions


@dataclass
class Histories:
    """A batch of users' histories over one item catalogue, each in time order.

    Flat arrays with `starts`/`ends` per row: row r owns positions starts[r]:ends[r].
    """

    n_items: int
    items: np.ndarray  # int64 item index
    strength: np.ndarray  # float32 signal strength
    rating: np.ndarray  # float32, NaN without rating
    time: np.ndarray  # float64 epoch seconds
    starts: np.ndarray
    ends: np.ndarray
    ref_time: np.ndarray
    """Per row, the moment the recommendation is for (last interaction, or now)."""
    users: np.ndarray
    """Per row, the user's index in the `Interactions` the rows came from (-1 for a user
    outside them): lets a model that keeps per-user state use it."""

    def __len__(self) -> int:
        return len(self.starts)

    @classmethod
    def from_interactions(
        cls, data: Interactions, users: np.ndarray, ref_time: np.ndarray | None = None
    ) -> Histories:
        """Histories of `users` (indexes into data.user_ids) in that order."""
        order = np.lexsort((np.arange(len(data)), data.time, data.users))
        sorted_users = data.users[order]
        left = np.searchsorted(sorted_users, users, side="left")
        right = np.searchsorted(sorted_users, users, side="right")
        take = np.concatenate(
            [order[a:b] for a, b in zip(left, right, strict=True)] or [np.zeros(0, dtype=np.int64)]
        )
        lengths = right - left
        ends = np.cumsum(lengths)
        starts = ends - lengths
        times = data.time[take]
        if ref_time is None:
            ref_time = np.array(
                [times[e - 1] if e > s else 0.0 for s, e in zip(starts, ends, strict=True)]
            )
        return cls(
            len(data.item_ids),
            data.items[take].astype(np.int64),
            data.strength[take],
            data.rating[take],
            times,
            starts,
            ends,
            ref_time,
            np.asarray(users, dtype=np.int64),
        )

    @classmethod
    def single(
        cls,
        n_items: int,
        items: np.ndarray,
        strength: np.ndarray,
        rating: np.ndarray,
        time: np.ndarray,
        ref_time: float,
    ) -> Histories:
        order = np.argsort(time, kind="stable")
        return cls(
            n_items,
            items[order].astype(np.int64),
            strength[order].astype(np.float32),
            rating[order].astype(np.float32),
            time[order].astype(np.float64),
            np.array([0]),
            np.array([len(items)]),
            np.array([ref_time]),
            np.array([-1]),
        )

    def lengths(self) -> np.ndarray:
        """Interactions per row."""
        return self.ends - self.starts

    def take(self, rows: np.ndarray) -> Histories:
        """The histories of `rows`, in that order."""
        pieces = [np.arange(self.starts[r], self.ends[r]) for r in rows]
        positions = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
        lengths = self.lengths()[rows]
        ends = np.cumsum(lengths)
        return Histories(
            self.n_items,
            self.items[positions],
            self.strength[positions],
            self.rating[positions],
            self.time[positions],
            ends - lengths,
            ends,
            self.ref_time[rows],
            self.users[rows],
        )

    def steps_from_end(self) -> np.ndarray:
        """For each position, how many interactions of the same user came after it."""
        lengths = self.ends - self.starts
        row_end = np.repeat(self.ends, lengths)
        return (row_end - 1 - np.arange(len(self.items))).astype(np.float32)

    def row_index(self) -> np.ndarray:
        return np.repeat(np.arange(len(self)), self.ends - self.starts)

    def matrix(
        self,
        half_life: float | None = None,
        low_weight: float = 1.0,
        positive_rating: float = 4.0,
        half_life_share: float = 0.0,
    ) -> sp.csr_matrix:
        """Rows x items weights: 1 per positive interaction, `low_weight` for weak ones
        (rated below `positive_rating`, or weak unrated signals such as clicks), decayed by
        position with `half_life` (in interactions), or with `half_life_share` of the row's
        length when that is longer; unrated negative signals count 0."""
        weight = np.ones(len(self.items), dtype=np.float32)
        if half_life is not None and np.isfinite(half_life):
            per_row = np.maximum(half_life, half_life_share * self.lengths())
            row_half_life = np.repeat(per_row, self.lengths()).astype(np.float32)
            weight *= np.power(0.5, self.steps_from_end() / row_half_life).astype(np.float32)
        rated = ~np.isnan(self.rating)
        # A low rating still says the user chose the item; a dislike or dismiss does not.
        weak = np.where(rated, self.rating < positive_rating, self.strength < 0.5)
        weight[weak] *= low_weight
        weight[~rated & (self.strength <= 0)] = 0.0
        single = self._one_row(weight)
        if single is not None:
            return single
        matrix = sp.csr_matrix(
            (weight, (self.row_index(), self.items)), shape=(len(self), self.n_items)
        )
        matrix.eliminate_zeros()
        return matrix

    def _one_row(self, values: np.ndarray) -> sp.csr_matrix | None:
        """The matrix of one row whose items are all distinct, built directly in canonical
        form (sorted items, zeros dropped): what the general path gives, without its
        conversions, which cost most of a request's model step (one row per request). None
        when the general path is needed (several rows, or repeated items, whose sums it
        orders its own way)."""
        if len(self) != 1 or self.starts[0] != 0 or self.ends[0] != len(self.items):
            return None
        order = np.argsort(self.items, kind="stable")
        items = self.items[order]
        if items.size > 1 and bool((items[1:] == items[:-1]).any()):
            return None
        data = values[order]
        keep = data != 0
        indices = items[keep].astype(np.int32)
        data = data[keep]
        indptr = np.array([0, indices.size], dtype=np.int32)
        matrix = sp.csr_matrix((data, indices, indptr), shape=(1, self.n_items), copy=False)
        matrix.has_canonical_format = True
        return matrix

    def strength_matrix(self) -> sp.csr_matrix:
        """Rows x items of positive signal strength (repeated events of an item add up):
        the rows of `Interactions.matrix()` for these users."""
        positive = self.strength > 0
        return sp.csr_matrix(
            (self.strength[positive], (self.row_index()[positive], self.items[positive])),
            shape=(len(self), self.n_items),
        )

    def seen(self) -> sp.csr_matrix:
        """Rows x items: 1 where the user interacted in any way."""
        ones = np.ones(len(self.items), dtype=np.float32)
        single = self._one_row(ones)
        if single is not None:
            return single
        matrix = sp.csr_matrix(
            (ones, (self.row_index(), self.items)), shape=(len(self), self.n_items)
        )
        matrix.data[:] = 1.0
        return matrix
