"""Matrix factorisation with the `implicit` library: ALS and BPR, for large catalogs."""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from rapport.services.recommend.models.base import CollaborativeModel, ModelConfig

# implicit warns (and slows down) when BLAS spawns its own threads inside its loops.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


class ALSConfig(ModelConfig):
    factors: int = Field(default=64, ge=2)
    """Latent dimensions."""
    regularization: float = Field(default=0.05, ge=0)
    alpha: float = Field(default=10.0, gt=0)
    """Confidence scaling of observed signal: c = 1 + alpha * r."""
    iterations: int = Field(default=15, ge=1)
    seed: int = 0


class ALS(CollaborativeModel):
    name = "als"
    Config = ALSConfig
    config: ALSConfig

    def fit(self, matrix: sp.csr_matrix) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(
            factors=self.config.factors,
            regularization=self.config.regularization,
            alpha=self.config.alpha,
            iterations=self.config.iterations,
            random_state=self.config.seed,
            calculate_training_loss=False,
        )
        model.fit(matrix.astype(np.float32), show_progress=False)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)

    def user_factors(self, history: sp.csr_matrix) -> np.ndarray:
        """Solve each user's factors from their history (the ALS user step)."""
        items = self.item_factors
        k = items.shape[1]
        gram = items.T @ items + self.config.regularization * np.eye(k, dtype=np.float32)
        result = np.zeros((history.shape[0], k), dtype=np.float32)
        for row in range(history.shape[0]):
            start, end = history.indptr[row], history.indptr[row + 1]
            if start == end:
                continue
            cols = history.indices[start:end]
            confidence = self.config.alpha * history.data[start:end]
            factors = items[cols]
            a = gram + (factors.T * confidence) @ factors
            b = (factors.T * (1.0 + confidence)).sum(axis=1)
            result[row] = np.linalg.solve(a, b)
        return result

    def score(self, history: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        return self.user_factors(history) @ self.item_factors.T

    def arrays(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_factors = arrays["item_factors"]


class BPRConfig(ModelConfig):
    factors: int = Field(default=64, ge=2)
    learning_rate: float = Field(default=0.05, gt=0)
    regularization: float = Field(default=0.01, ge=0)
    iterations: int = Field(default=100, ge=1)
    seed: int = 0


class BPR(CollaborativeModel):
    """Bayesian personalised ranking. Users not seen in training are scored by the mean of
    their items' factors (BPR has no closed-form user step)."""

    name = "bpr"
    Config = BPRConfig
    config: BPRConfig

    def fit(self, matrix: sp.csr_matrix) -> None:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        model = BayesianPersonalizedRanking(
            factors=self.config.factors,
            learning_rate=self.config.learning_rate,
            regularization=self.config.regularization,
            iterations=self.config.iterations,
            random_state=self.config.seed,
        )
        model.fit((matrix > 0).astype(np.float32), show_progress=False)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)
        self.trained_users = np.asarray(model.user_factors, dtype=np.float32)

    def score(self, history: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        if users is not None and hasattr(self, "trained_users"):
            return self.trained_users[users] @ self.item_factors.T
        binary = (history > 0).astype(np.float32)
        counts = np.maximum(np.asarray(binary.sum(axis=1)), 1.0)
        folded = np.asarray(binary @ self.item_factors) / counts
        # The last factor of implicit's BPR item vectors is an item bias; keep it at weight 1.
        folded[:, -1] = 1.0
        return folded @ self.item_factors.T

    def arrays(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_factors = arrays["item_factors"]
