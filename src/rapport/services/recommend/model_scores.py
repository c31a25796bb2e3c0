"""What the request path asks of a trained model for one user: each source's best items,
and each source's scores at any items (the candidates other sources proposed).

`FullSourceScores` answers both from the full-catalogue scores every model gives
(`specialise(history).sources(history)`), so any model works. A model whose catalogue is
too large for full passes per request can answer faster by defining
`source_scores(history) -> SourceScores` itself (e.g. a top-k search over ALS factors);
`source_scores` below uses that when the model has it.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from rapport.core.components import RankingModel
from rapport.core.histories import Histories

MIN_TOP = 1024
"""A full-scores source sorts at least this many items at once, so the larger asks of a
filtered request reuse the first sort."""


class SourceScores(Protocol):
    """One user's model scores, per named source, over the model's item indices."""

    def weights(self) -> dict[str, float]:
        """Blend weight per source (the model's, possibly specialised to this user)."""
        ...

    def top(self, source: str, n: int) -> np.ndarray:
        """Up to `n` item indices with the best finite scores of `source`, best first."""
        ...

    def at(self, items: np.ndarray) -> dict[str, np.ndarray]:
        """Per source, scores at `items` (float64; NaN where an index is -1 or the source
        has nothing to say)."""
        ...


class FullSourceScores:
    """Scores every item once per request, then answers from those arrays."""

    def __init__(self, model: RankingModel[Any], history: Histories) -> None:
        specialised = model.specialise(history)
        self._weights = specialised.weights()
        self.parts = {name: values[0] for name, values in specialised.sources(history).items()}
        self._sorted: dict[str, tuple[int, np.ndarray]] = {}
        """Per source: how many were asked for when sorted, and the sorted indices."""

    def weights(self) -> dict[str, float]:
        return dict(self._weights)

    def top(self, source: str, n: int) -> np.ndarray:
        values = self.parts.get(source)
        if values is None:
            return np.zeros(0, dtype=np.int64)
        cached = self._sorted.get(source)
        if cached is None or (n > cached[0] and len(cached[1]) == cached[0]):
            finite = np.flatnonzero(np.isfinite(values))
            if finite.size and np.ptp(values[finite]) == 0:
                # No preference (e.g. an empty trending window): its "top" would be
                # arbitrary ties that every other source then has to score.
                finite = finite[:0]
            take = max(n, MIN_TOP)
            if finite.size > take:
                finite = finite[np.argpartition(-values[finite], take - 1)[:take]]
            cached = (take, finite[np.argsort(-values[finite], kind="stable")])
            self._sorted[source] = cached
        return cached[1][:n]

    def at(self, items: np.ndarray) -> dict[str, np.ndarray]:
        inside = items >= 0
        found = {}
        for name, values in self.parts.items():
            picked = np.where(inside, values[np.where(inside, items, 0)], np.nan)
            picked = picked.astype(np.float64)
            picked[~np.isfinite(picked)] = np.nan
            found[name] = picked
        return found


def source_scores(model: RankingModel[Any], history: Histories) -> SourceScores:
    """The model's own fast answers when it has them, else answers from full scores."""
    own = getattr(model, "source_scores", None)
    if callable(own):
        found: SourceScores = own(history)
        return found
    return FullSourceScores(model, history)
