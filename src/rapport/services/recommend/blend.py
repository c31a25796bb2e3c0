"""Blending several score sources into one ranking, with weights learned on validation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Candidate weights tried for each source during coordinate ascent.
GRID = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0)


def standardise(scores: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Per-row z-scores, so sources on different scales can be added. `valid` masks the
    entries the statistics are computed over (e.g. unseen items)."""
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


def combine(sources: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    total: np.ndarray | None = None
    for name, weight in weights.items():
        if weight == 0 or name not in sources:
            continue
        part = weight * sources[name]
        total = part if total is None else total + part
    if total is None:
        return np.zeros_like(next(iter(sources.values())))
    return total


def learn_weights(
    sources: dict[str, np.ndarray],
    objective: Callable[[np.ndarray], float],
    start: dict[str, float],
    rounds: int = 3,
) -> tuple[dict[str, float], float]:
    """Coordinate ascent: change one source's weight at a time while the objective improves.

    `sources` hold standardised scores of the validation users; `objective` scores a
    combined matrix (higher is better).
    """
    weights = dict(start)
    best = objective(combine(sources, weights))
    for _ in range(rounds):
        improved = False
        for name in sources:
            for value in GRID:
                if value == weights.get(name, 0.0):
                    continue
                trial = {**weights, name: value}
                if not any(trial.values()):
                    continue
                score = objective(combine(sources, trial))
                if score > best + 1e-6:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return weights, best
