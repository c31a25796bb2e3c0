"""EASE (Steck 2019): a closed-form linear item-item model, strong up to ~30k items."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from pydantic import Field

from rapport.services.recommend.models.base import CollaborativeModel, ModelConfig


class EASEConfig(ModelConfig):
    regularization: float = Field(default=300.0, gt=0)
    """L2 penalty on the item-item weights (lambda); larger for denser data."""


class EASE(CollaborativeModel):
    name = "ease"
    Config = EASEConfig
    config: EASEConfig

    def fit(self, matrix: sp.csr_matrix) -> None:
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.config.regularization
        precision = scipy.linalg.inv(gram, overwrite_a=True, check_finite=False)
        weights = precision / (-np.diag(precision))
        weights[np.diag_indices_from(weights)] = 0.0
        self.weights = weights.astype(np.float32)

    def score(self, history: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        return np.asarray(history @ self.weights)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.weights = arrays["weights"]
