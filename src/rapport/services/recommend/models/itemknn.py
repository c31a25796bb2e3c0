"""Item-kNN: cosine similarity between item columns, keeping each item's k neighbours."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from rapport.services.recommend.models.base import CollaborativeModel, ModelConfig


class ItemKNNConfig(ModelConfig):
    neighbours: int = Field(default=100, ge=1)
    """Neighbours kept per item."""
    shrink: float = Field(default=10.0, ge=0)
    """Added to the cosine denominator so rare co-occurrences count less."""


class ItemKNN(CollaborativeModel):
    name = "itemknn"
    Config = ItemKNNConfig
    config: ItemKNNConfig

    def fit(self, matrix: sp.csr_matrix) -> None:
        binary = (matrix > 0).astype(np.float32).tocsc()
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

    def score(self, history: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        return np.asarray((history @ self.similarity).toarray())

    def arrays(self) -> dict[str, np.ndarray]:
        s = self.similarity
        return {
            "data": s.data,
            "indices": s.indices,
            "indptr": s.indptr,
            "shape": np.asarray(s.shape),
        }

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.similarity = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"])
        )
