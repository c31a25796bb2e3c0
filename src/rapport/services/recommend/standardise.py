"""Putting scores from different sources on one scale, so they can be blended."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def standardise(scores: np.ndarray, exclude: sp.csr_matrix | None = None) -> np.ndarray:
    """Per-row z-scores of finite scores. The statistics leave out the entries stored in
    `exclude` (e.g. the items a user has seen), read sparsely: a few passes over the dense
    rows, whatever the catalogue size."""
    centred = np.array(scores, dtype=np.float32)
    n_rows, n_items = centred.shape
    counts = np.full(n_rows, n_items, dtype=np.float64)
    total = centred.sum(axis=1, dtype=np.float64)
    if exclude is not None and exclude.nnz:
        rows = np.repeat(np.arange(n_rows), np.diff(exclude.indptr))
        counts -= np.diff(exclude.indptr)
        total -= np.bincount(rows, centred[rows, exclude.indices], minlength=n_rows)
    counts = np.maximum(counts, 1)
    centred -= (total / counts).astype(np.float32)[:, None]
    squares = np.einsum("ij,ij->i", centred, centred, dtype=np.float64)
    if exclude is not None and exclude.nnz:
        squares -= np.bincount(rows, centred[rows, exclude.indices] ** 2, minlength=n_rows)
    std = np.sqrt(np.maximum(squares, 0) / counts)
    centred /= np.maximum(std, 1e-6).astype(np.float32)[:, None]
    return centred
