"""EASE (Steck 2019): a closed-form linear item-item model, strong up to ~30k items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import scipy.linalg
from pydantic import Field

from rapport.core.components import ComponentConfig, RankingModel
from rapport.core.histories import Histories
from rapport.core.interactions import Interactions


class EASEConfig(ComponentConfig):
    regularization: float = Field(default=300.0, gt=0)
    """L2 penalty on the item-item weights (lambda); larger for denser data."""

    search_space: ClassVar[dict[str, list[Any]]] = {
        "regularization": [100.0, 200.0, 400.0, 800.0, 1600.0],
    }


class EASE(RankingModel[EASEConfig]):
    """Item-item weights B minimising ||X - XB||² + λ||B||² with a zero diagonal."""

    name = "ease"
    Config = EASEConfig

    def fit(self, data: Interactions) -> Self:
        matrix = data.matrix()
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.config.regularization
        precision = scipy.linalg.inv(gram, overwrite_a=True, check_finite=False)
        weights = precision / (-np.diag(precision))
        weights[np.diag_indices_from(weights)] = 0.0
        self.item_weights = weights.astype(np.float32)
        self.item_ids = list(data.item_ids)
        return self

    def score(self, histories: Histories) -> np.ndarray:
        return np.asarray(histories.strength_matrix() @ self.item_weights)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"weights": self.item_weights}

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.item_weights = arrays["weights"]
