"""Alternating least squares (implicit feedback) with the `implicit` library."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from rapport.core.components import ComponentConfig, RankingModel
from rapport.core.histories import Histories
from rapport.core.interactions import Interactions
from rapport.services.recommend.blas import one_blas_thread

# implicit warns (and slows down) when BLAS spawns its own threads inside its loops.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


class ALSConfig(ComponentConfig):
    factors: int = Field(default=64, ge=2)
    """Latent dimensions."""
    regularization: float = Field(default=1.0, ge=0)
    alpha: float = Field(default=1.0, gt=0)
    """Confidence scaling of observed signal: c = 1 + alpha * r."""
    iterations: int = Field(default=15, ge=1)
    seed: int = 0

    search_space: ClassVar[dict[str, list[Any]]] = {
        "factors": [64, 128],
        "regularization": [1.0, 10.0],
        "alpha": [1.0, 5.0],
    }


class ALS(RankingModel[ALSConfig]):
    """Item factors learned by implicit; a user's factors are solved from their history at
    scoring time (the ALS user step), so any history can be scored."""

    name = "als"
    Config = ALSConfig

    def fit(self, data: Interactions) -> Self:
        self.fit_matrix(data.matrix())
        self.item_ids = list(data.item_ids)
        return self

    def fit_matrix(self, matrix: sp.csr_matrix) -> None:
        """Learn item factors from a users x items confidence matrix."""
        from implicit.cpu.als import AlternatingLeastSquares

        with one_blas_thread():
            model = AlternatingLeastSquares(
                factors=self.config.factors,
                regularization=self.config.regularization,
                alpha=self.config.alpha,
                iterations=self.config.iterations,
                random_state=self.config.seed,
                calculate_training_loss=False,
            )
            model.fit(matrix.astype(np.float32), show_progress=False)
        self.restore({"item_factors": np.asarray(model.item_factors, dtype=np.float32)})

    def user_factors(self, rows: sp.csr_matrix) -> np.ndarray:
        """Solve each row's user factors from its confidence values."""
        items = self.item_factors
        k = items.shape[1]
        gram = self._gram + self.config.regularization * np.eye(k, dtype=np.float32)
        result = np.zeros((rows.shape[0], k), dtype=np.float32)
        with one_blas_thread():  # many small solves: threads only add overhead
            for row in range(rows.shape[0]):
                start, end = rows.indptr[row], rows.indptr[row + 1]
                if start == end:
                    continue
                cols = rows.indices[start:end]
                confidence = self.config.alpha * rows.data[start:end]
                factors = items[cols]
                a = gram + (factors.T * confidence) @ factors
                b = (factors.T * (1.0 + confidence)).sum(axis=1)
                result[row] = np.linalg.solve(a, b)
        return result

    def score_rows(self, rows: sp.csr_matrix) -> np.ndarray:
        return self.user_factors(rows) @ self.item_factors.T

    def score(self, histories: Histories) -> np.ndarray:
        return self.score_rows(histories.strength_matrix())

    def arrays(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors}

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.item_factors = arrays["item_factors"]
        # Item factors' Gram matrix, needed by every user step: once per fit, as on a large
        # catalogue it costs more than the solves themselves.
        self._gram = self.item_factors.T @ self.item_factors
