"""Bayesian personalised ranking with the `implicit` library."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
from pydantic import Field

from rapport.core.components import ComponentConfig, RankingModel
from rapport.core.histories import Histories
from rapport.core.interactions import Interactions
from rapport.services.recommend.blas import one_blas_thread


class BPRConfig(ComponentConfig):
    factors: int = Field(default=64, ge=2)
    """Latent dimensions (implicit adds one for the item bias)."""
    learning_rate: float = Field(default=0.05, gt=0)
    regularization: float = Field(default=0.01, ge=0)
    iterations: int = Field(default=100, ge=1)
    seed: int = 0

    search_space: ClassVar[dict[str, list[Any]]] = {
        "factors": [64, 128],
        "learning_rate": [0.01, 0.05],
        "regularization": [0.001, 0.01],
    }


class BPR(RankingModel[BPRConfig]):
    """Users seen in training are scored with their learned factors; other histories by the
    mean of their items' factors (BPR has no closed-form user step)."""

    name = "bpr"
    Config = BPRConfig

    def fit(self, data: Interactions) -> Self:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        with one_blas_thread():
            model = BayesianPersonalizedRanking(
                factors=self.config.factors,
                learning_rate=self.config.learning_rate,
                regularization=self.config.regularization,
                iterations=self.config.iterations,
                random_state=self.config.seed,
            )
            model.fit((data.matrix() > 0).astype(np.float32), show_progress=False)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_ids = list(data.item_ids)
        return self

    def score(self, histories: Histories) -> np.ndarray:
        binary = (histories.strength_matrix() > 0).astype(np.float32)
        counts = np.maximum(np.asarray(binary.sum(axis=1)), 1.0)
        factors = np.asarray(binary @ self.item_factors) / counts
        # The last factor of implicit's BPR item vectors is an item bias; keep it at weight 1.
        factors[:, -1] = 1.0
        known = (histories.users >= 0) & (histories.users < len(self.user_factors))
        factors[known] = self.user_factors[histories.users[known]]
        return factors @ self.item_factors.T

    def arrays(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors, "user_factors": self.user_factors}

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.item_factors = arrays["item_factors"]
        self.user_factors = arrays["user_factors"]
