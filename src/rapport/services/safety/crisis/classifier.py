"""The trained crisis classifier: logistic regression on MiniLM sentence vectors, shipped as
a small JSON file (`weights.json`, written by `rapport safety train`), optionally fused with
a word view (tf-idf + logistic regression, `words.py`, shipped beside it as JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rapport.services.safety.crisis.logistic import Logistic
from rapport.services.safety.crisis.words import WordModel

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
Fusion = Literal["mean", "geometric"]


def fuse(a: np.ndarray, b: np.ndarray, how: Fusion) -> np.ndarray:
    """Class probabilities of two views as one: their mean (so the risk, linear in them, is
    the mean of the two risks), or their normalised geometric mean (both views must agree)."""
    if how == "mean":
        return (a + b) / 2.0
    product = np.sqrt(np.clip(a, 1e-12, None) * np.clip(b, 1e-12, None))
    return np.asarray(product / product.sum(axis=1, keepdims=True))


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
    words: WordModel | None = None
    """The word view, fused with the vector view's probabilities by `fusion`."""
    fusion: Fusion = "mean"

    def proba(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """Class probabilities of texts given as their vectors and, for the word view,
        their text."""
        proba = self.model.proba(vectors)
        if self.words is None:
            return proba
        if texts is None:
            raise ValueError("the word view needs the texts")
        return fuse(proba, self.words.proba(texts), self.fusion)

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
            "fusion": self.fusion if self.words is not None else None,
            "bias": [round(float(b), 6) for b in self.model.bias],
            "weights": [[round(float(w), 6) for w in row] for row in self.model.weights],
        }

    def save(self, path: Path = WEIGHTS) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")
        words = words_path(path)
        if self.words is not None:
            words.write_text(json.dumps(self.words.to_json(), separators=(",", ":")) + "\n")
        else:
            words.unlink(missing_ok=True)  # an older word view must not be read with these

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> CrisisClassifier:
        data = json.loads(path.read_text())
        if tuple(data["classes"]) != CLASSES:
            raise ValueError(f"{path}: classes {data['classes']} differ from {CLASSES}")
        model = Logistic(np.array(data["weights"]), np.array(data["bias"]))
        words = None
        if data.get("fusion"):
            words = WordModel.from_json(json.loads(words_path(path).read_text()))
        return cls(
            model,
            data["embedder"],
            dict(data["thresholds"]),
            dict(data["info"]),
            words,
            data.get("fusion") or "mean",
        )


def words_path(weights: Path) -> Path:
    """Where the word view of these weights is stored: `weights.json` -> `weights.words.json`."""
    return weights.with_suffix(".words.json")
