"""Most popular items: the baseline every recommender must beat."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import numpy as np

from rapport.core.components import ComponentConfig, RankingModel
from rapport.core.histories import Histories
from rapport.core.interactions import Interactions


class PopularityConfig(ComponentConfig):
    """Popularity has nothing to tune."""


class Popularity(RankingModel[PopularityConfig]):
    """Every user gets the items with the most positive interactions."""

    name = "popularity"
    Config = PopularityConfig

    def fit(self, data: Interactions) -> Self:
        counts = np.asarray((data.matrix() > 0).sum(axis=0)).ravel().astype(np.float32)
        self.counts = counts / max(float(counts.max(initial=0.0)), 1.0)
        self.item_ids = list(data.item_ids)
        return self

    def score(self, histories: Histories) -> np.ndarray:
        return np.tile(self.counts, (len(histories), 1))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.counts = arrays["counts"]
