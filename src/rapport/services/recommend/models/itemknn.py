"""Item-kNN: cosine similarity between item columns, keeping each item's k neighbours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from rapport.core.components import ComponentConfig, RankingModel
from rapport.core.histories import Histories
from rapport.core.interactions import Interactions


class ItemKNNConfig(ComponentConfig):
    neighbours: int = Field(default=100, ge=1)
    """Neighbours kept per item."""
    shrink: float = Field(default=10.0, ge=0)
    """Added to the cosine denominator so rare co-occurrences count less."""

    search_space: ClassVar[dict[str, list[Any]]] = {
        "neighbours": [50, 200],
        "shrink": [0.0, 50.0],
    }


class ItemKNN(RankingModel[ItemKNNConfig]):
    """Scores an item by its summed similarity to the items in the history."""

    name = "itemknn"
    Config = ItemKNNConfig

    def fit(self, data: Interactions) -> Self:
        binary = (data.matrix() > 0).astype(np.float32).tocsc()
        norms = np.sqrt(np.asarray(binary.multiply(binary).sum(axis=0)).ravel())
        overlap = (binary.T @ binary).toarray()
        similarity = overlap / (np.outer(norms, norms) + self.config.shrink + 1e-9)
        np.fill_diagonal(similarity, 0.0)
        k = min(self.config.neighbours, similarity.shape[1] - 1)
        if k < similarity.shape[1] - 1:
            # Zero all but the k largest entries of each row.
            cut = np.argpartition(-similarity, k, axis=1)[:, k:]
            np.put_along_axis(similarity, cut, 0.0, axis=1)
        self.similarity = sp.csr_matrix(similarity.astype(np.float32))
        self.item_ids = list(data.item_ids)
        return self

    def score(self, histories: Histories) -> np.ndarray:
        return np.asarray((histories.strength_matrix() @ self.similarity).toarray())

    def arrays(self) -> dict[str, np.ndarray]:
        s = self.similarity
        return {"data": s.data, "indices": s.indices, "indptr": s.indptr}

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        n = len(self.item_ids)
        self.similarity = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, n)
        )
