"""Ranking metrics: one implementation each, for recommendation lists and retrieval runs.

Graded nDCG@k with discount log2(rank + 1) over an ideal ranking built from every judged grade;
the gain is `2^grade - 1` ("exp", Burges et al.) or the grade itself ("linear", trec_eval). With
binary grades both equal the classic binary NDCG of recommendation papers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Literal, TypeVar

import numpy as np
import scipy.sparse as sp

Gain = Literal["exp", "linear"]
K = TypeVar("K", bound=Hashable)
"""Document or item ids."""


def _gain(grade: float, gain: Gain) -> float:
    if grade <= 0:
        return 0.0
    return float(2**grade - 1) if gain == "exp" else float(grade)


def ndcg_at_k(
    ranked: Sequence[K], grades: Mapping[K, float], k: int = 10, gain: Gain = "exp"
) -> float:
    dcg = sum(_gain(grades.get(d, 0), gain) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(_gain(g, gain) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(
    ranked: Sequence[K],
    grades: Mapping[K, float],
    k: int = 100,
    *,
    capped: bool = False,
) -> float:
    """Share of the positively graded documents in the top k. `capped` divides by
    min(relevant, k) instead, the recommendation convention (a perfect list of k scores 1)."""
    relevant = {d for d, g in grades.items() if g > 0}
    if not relevant:
        return 0.0
    found = len(relevant.intersection(ranked[:k]))
    return found / (min(len(relevant), k) if capped else len(relevant))


def mrr_at_k(ranked: Sequence[K], grades: Mapping[K, float], k: int = 10) -> float:
    for position, doc in enumerate(ranked[:k], start=1):
        if grades.get(doc, 0) > 0:
            return 1.0 / position
    return 0.0


def top_k(scores: np.ndarray, k: int, exclude: sp.csr_matrix | None = None) -> list[np.ndarray]:
    """Per row, the columns of its `k` best finite scores, best first. `exclude` marks entries
    that may not be ranked (seen items)."""
    scores = np.array(scores, dtype=np.result_type(scores.dtype, np.float32), copy=True)
    if exclude is not None:
        scores[exclude.nonzero()] = -np.inf
    if k >= scores.shape[1]:
        top = np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
    else:
        top = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    ranked = np.take_along_axis(top, order, axis=1)
    # Tiny catalogues: fewer than k rankable items remain.
    return [row[np.isfinite(scores[n, row])] for n, row in enumerate(ranked)]
