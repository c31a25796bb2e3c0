"""Multinomial logistic regression on sentence vectors: fitted with L-BFGS (scipy), applied
with numpy, so screening needs no machine-learning framework at run time and training is
deterministic (no random initialisation, no shuffling)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax


@dataclass(frozen=True)
class Logistic:
    """Weights `(classes, dim)` and biases `(classes,)` of a softmax classifier."""

    weights: np.ndarray
    bias: np.ndarray

    def proba(self, vectors: np.ndarray | sparse.csr_matrix) -> np.ndarray:
        """Class probabilities, one row per vector (dense, or sparse such as tf-idf rows)."""
        logits = np.asarray(_rows(vectors) @ self.weights.T) + self.bias
        return np.asarray(softmax(logits, axis=1))


def _rows(vectors: np.ndarray | sparse.csr_matrix) -> np.ndarray | sparse.csr_matrix:
    if sparse.issparse(vectors):
        return sparse.csr_matrix(vectors, dtype=np.float64)
    return np.asarray(vectors, dtype=np.float64)


def fit_logistic(
    vectors: np.ndarray | sparse.csr_matrix,
    labels: np.ndarray,
    classes: int,
    *,
    l2: float = 1.0,
    sample_weight: np.ndarray | None = None,
    max_iter: int = 500,
) -> Logistic:
    """Minimise the weighted cross-entropy plus `l2 / 2 * |W|^2` (bias unpenalised); classes
    are balanced by weighting each row by `n / (classes * count(class))` unless weights are
    given."""
    x = _rows(vectors)
    y = np.asarray(labels, dtype=np.int64)
    n, dim = x.shape
    if sample_weight is None:
        counts = np.bincount(y, minlength=classes).astype(np.float64)
        sample_weight = n / (classes * np.maximum(counts[y], 1.0))
    w_rows = np.asarray(sample_weight, dtype=np.float64)
    onehot = np.zeros((n, classes))
    onehot[np.arange(n), y] = 1.0
    total = float(w_rows.sum())

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weights = theta[: classes * dim].reshape(classes, dim)
        bias = theta[classes * dim :]
        logp = log_softmax(np.asarray(x @ weights.T) + bias, axis=1)
        value = -float((w_rows * (onehot * logp).sum(axis=1)).sum()) / total
        value += 0.5 * l2 * float((weights**2).sum()) / total
        residual = (np.exp(logp) - onehot) * w_rows[:, None] / total
        grad_w = np.asarray(residual.T @ x) + l2 * weights / total
        grad_b = residual.sum(axis=0)
        return value, np.concatenate([grad_w.ravel(), grad_b])

    start = np.zeros(classes * dim + classes)
    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    theta = result.x
    return Logistic(theta[: classes * dim].reshape(classes, dim), theta[classes * dim :])
