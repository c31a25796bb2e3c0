"""The trained crisis classifier: logistic regression on MiniLM sentence vectors, shipped as
a small JSON file (`weights.json`, written by `rapport safety train`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rapport.services.safety.crisis.logistic import Logistic

WEIGHTS = Path(__file__).with_name("weights.json")
CLASSES = (
    "none",
    "suicide_self_harm",
    "eating_disorder",
    "substance_abuse",
    "mental_health_crisis",
)
"""Output classes, in weight-row order. Domestic violence has no forum in the training
data: the rules find it."""


@dataclass(frozen=True)
class CrisisClassifier:
    """Class probabilities for sentence vectors, plus the decision thresholds chosen when
    it was trained."""

    model: Logistic
    embedder: str
    """Name of the embedding model the weights were trained on."""
    thresholds: dict[str, float]
    """`crisis`: suicide/self-harm probability from which a text is a crisis; `high`: from
    which it is high severity without explicit words; `topic`: probability of another
    category from which it is named (severity low)."""
    info: dict[str, Any]
    """How it was trained (data, sizes, regularisation, held-out numbers)."""

    def proba(self, vectors: np.ndarray) -> np.ndarray:
        return self.model.proba(vectors)

    def fits(self, embedder_name: str, dim: int) -> bool:
        """Whether vectors of this embedder suit the weights: the same base model (torch,
        ONNX fp32 and ONNX int8 vectors of MiniLM agree to a cosine of ~0.995)."""
        base = self.embedder.split("+", 1)[0]
        return embedder_name.split("+", 1)[0] == base and dim == self.model.weights.shape[1]

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": list(CLASSES),
            "embedder": self.embedder,
            "thresholds": self.thresholds,
            "info": self.info,
            "bias": [round(float(b), 6) for b in self.model.bias],
            "weights": [[round(float(w), 6) for w in row] for row in self.model.weights],
        }

    def save(self, path: Path = WEIGHTS) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> CrisisClassifier:
        data = json.loads(path.read_text())
        if tuple(data["classes"]) != CLASSES:
            raise ValueError(f"{path}: classes {data['classes']} differ from {CLASSES}")
        model = Logistic(np.array(data["weights"]), np.array(data["bias"]))
        return cls(model, data["embedder"], dict(data["thresholds"]), dict(data["info"]))
