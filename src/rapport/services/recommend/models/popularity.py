"""Most popular items: the baseline every recommender must beat."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from rapport.services.recommend.models.base import CollaborativeModel, ModelConfig


class PopularityConfig(ModelConfig):
    """Popularity has nothing to tune."""


class Popularity(CollaborativeModel):
    name = "popularity"
    Config = PopularityConfig

    def fit(self, matrix: sp.csr_matrix) -> None:
        counts = np.asarray((matrix > 0).sum(axis=0)).ravel().astype(np.float32)
        self.counts = counts / max(float(counts.max()), 1.0)

    def score(self, history: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        return np.tile(self.counts, (history.shape[0], 1))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.counts = arrays["counts"]
