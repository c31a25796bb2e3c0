"""Putting scores from different sources on one scale, so they can be blended."""

from __future__ import annotations

import numpy as np


def standardise(scores: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Per-row z-scores. `valid` masks the entries the statistics are computed over (e.g.
    unseen items)."""
    scores = np.asarray(scores, dtype=np.float32)
    if valid is None:
        mean = scores.mean(axis=1, keepdims=True)
        std = scores.std(axis=1, keepdims=True)
    else:
        count = np.maximum(valid.sum(axis=1, keepdims=True), 1)
        masked = np.where(valid, scores, 0.0)
        mean = masked.sum(axis=1, keepdims=True) / count
        std = np.sqrt(np.where(valid, (scores - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / count)
    return (scores - mean) / np.maximum(std, 1e-6)
