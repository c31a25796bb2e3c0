"""What one user's history says, aligned with the catalogue frame, built per request."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from rapport.core.interactions import EventColumns
from rapport.core.models import User
from rapport.core.signals import SignalWeights
from rapport.services.recommend.context import LEVELS
from rapport.services.recommend.frame import ItemFrame
from rapport.services.recommend.rows import unique_rows

EXCLUDE_STRENGTH = 0.5  # items the user acted on at least this strongly (or rated) are "seen"


@dataclass
class UserState:
    user: User
    rows: np.ndarray
    """Frame row of each event."""
    strength: np.ndarray
    rating: np.ndarray
    time: np.ndarray
    seen: np.ndarray
    """Frame rows of items not to recommend again (rated, bought, liked, dismissed...),
    sorted."""
    positives: list[int] = field(default_factory=list)
    """Frame rows with positive net signal, most recent first."""
    liked: list[int] = field(default_factory=list)
    """Frame rows with a clearly positive signal (a like, save, purchase, good rating),
    most recent first: what "because you liked X" may name."""
    averse_categories: set[str] = field(default_factory=set)
    interests: dict[str, np.ndarray] = field(default_factory=dict)
    """Stated interests and their embeddings."""
    profile: np.ndarray | None = None
    """The embedding of the whole profile (interests, skills, goals, learning style), when
    it says more than the interests."""

    distinct: int | None = None
    """How many distinct rows `rows` holds (counted when not given)."""

    @property
    def interactions(self) -> int:
        if self.distinct is None:
            self.distinct = int(unique_rows(self.rows).size)
        return self.distinct

    @classmethod
    def build(
        cls,
        user: User,
        signals: EventColumns,
        frame: ItemFrame,
        weights: SignalWeights,
        aversion_min: int = 2,
    ) -> UserState:
        """From the user's item events as columns (`Store.user_signal_columns`), in any
        order; events of items not in the frame are left out."""
        position = frame.position
        found = np.array([position.get(i, -1) for i in signals.item_ids], dtype=np.int64)
        known = np.flatnonzero(found >= 0)
        known = known[np.argsort(signals.times[known], kind="stable")]  # oldest first
        rows = found[known]
        types = [signals.types[k] for k in known.tolist()]
        strength64, rating64 = weights.of_columns(types, signals.values[known])
        strength = strength64.astype(np.float32)
        rating = rating64.astype(np.float32)
        times = signals.times[known]
        strong = (np.abs(strength) >= EXCLUDE_STRENGTH) | ~np.isnan(rating)
        seen = unique_rows(rows[strong])
        # Net signal per distinct row (summed oldest first), and the rows newest first by
        # their latest event: array passes instead of a dict per event (heavy users have
        # hundreds).
        distinct, inverse = np.unique(rows, return_inverse=True)
        net = np.bincount(inverse, weights=strength.astype(np.float64), minlength=distinct.size)
        latest = np.full(distinct.size, -1, dtype=np.int64)
        np.maximum.at(latest, inverse, np.arange(rows.size))
        order = np.argsort(-latest, kind="stable")
        newest_first, newest_net = distinct[order], net[order]
        return cls(
            user=user,
            rows=rows,
            strength=strength,
            rating=rating,
            time=times,
            seen=seen,
            positives=newest_first[newest_net > 0].tolist(),
            liked=newest_first[newest_net >= EXCLUDE_STRENGTH].tolist(),
            averse_categories=_aversions(distinct, net, frame, aversion_min),
            distinct=int(distinct.size),
        )

    def level(self) -> int | None:
        """The user's typical skill level (rounded mean over stated skills)."""
        levels = [LEVELS[s.level] for s in self.user.profile.skills if s.level in LEVELS]
        return round(sum(levels) / len(levels)) if levels else None


def _aversions(rows: np.ndarray, net: np.ndarray, frame: ItemFrame, minimum: int) -> set[str]:
    """Categories the user has only rejected: at least `minimum` negative items and no
    positive one (`net`: each row's net signal). Their items are not recommended until the
    user's view changes."""
    categories = frame.categories
    negative = Counter(c for row in rows[net < 0].tolist() for c in categories[row])
    rejected = {c for c, n in negative.items() if n >= minimum}
    # Positive items cross rejected categories off; stop as soon as none is left (heavy
    # users have hundreds of positive items and usually like every category they rejected).
    for row in rows[net > 0].tolist():
        if not rejected:
            break
        rejected.difference_update(categories[row])
    return rejected
