"""The protocol every collaborative model follows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict


class ModelConfig(BaseModel):
    """Base of model configs: unknown fields are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid")


class CollaborativeModel:
    """Learns from a users x items matrix of positive signal; scores any history row.

    Scoring takes history rows rather than user ids so that new users, and users whose
    history changed a second ago, are scored without retraining.
    """

    name: ClassVar[str]
    Config: ClassVar[type[ModelConfig]]

    def __init__(self, config: ModelConfig | dict[str, Any] | None = None) -> None:
        self.config = self.Config.model_validate(config or {})

    def fit(self, matrix: sp.csr_matrix) -> None:
        raise NotImplementedError

    def score(self, history: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        """Dense scores, one row per history row, one column per training item. `users`
        optionally gives each row's training-user index, for models that keep user state."""
        raise NotImplementedError

    # -- artifacts -------------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """The learned state, as named arrays."""
        raise NotImplementedError

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(
            json.dumps({"model": self.name, "config": self.config.model_dump()}, indent=2)
        )
        np.savez(folder / "arrays.npz", **self.arrays())

    @classmethod
    def load(cls, folder: Path) -> CollaborativeModel:
        meta = json.loads((folder / "config.json").read_text())
        model = cls(meta["config"])
        with np.load(folder / "arrays.npz") as data:
            model.load_arrays({key: data[key] for key in data.files})
        return model
