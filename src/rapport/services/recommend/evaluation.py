"""Offline evaluation under one protocol, for `rapport eval recommend` and the benchmark.

Per user, interactions sorted by time, the last 20% held out. Relevant = held-out items
rated >= the positive threshold, or with a strong positive signal when unrated. Every model
ranks all training-catalogue items the user has not interacted with in training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rapport.services.recommend.histories import Histories
from rapport.services.recommend.interactions import Interactions

# Scores for a block of users: (their histories, their user indexes) -> dense scores over
# the training catalogue.
ScoreFn = Callable[[Histories, np.ndarray], np.ndarray]

RELEVANT_SIGNAL = 0.5  # unrated events at least as strong as a save count as relevant


@dataclass(frozen=True)
class Metrics:
    ndcg_at_10: float
    recall_at_20: float
    coverage: float
    novelty: float
    users: int

    def as_dict(self) -> dict[str, float]:
        return {
            "ndcg@10": self.ndcg_at_10,
            "recall@20": self.recall_at_20,
            "coverage": self.coverage,
            "novelty": self.novelty,
            "users": self.users,
        }


def relevant_sets(test: Interactions, rating_positive: float = 4.0) -> dict[int, set[int]]:
    rated = ~np.isnan(test.rating)
    good = np.where(rated, test.rating >= rating_positive, test.strength >= RELEVANT_SIGNAL)
    result: dict[int, set[int]] = {}
    for user, item in zip(test.users[good], test.items[good], strict=True):
        result.setdefault(int(user), set()).add(int(item))
    return result


def evaluate(
    score: ScoreFn,
    train: Interactions,
    test: Interactions,
    *,
    k: int = 20,
    block: int = 512,
    rating_positive: float = 4.0,
) -> Metrics:
    """Rank unseen items for every user with a relevant held-out item and score the lists."""
    relevant = relevant_sets(test, rating_positive)
    users = np.array(sorted(relevant), dtype=np.int32)
    seen = train.matrix(positive_only=False)
    seen.data[:] = 1.0
    popularity = np.asarray((seen > 0).sum(axis=0)).ravel()
    share = popularity / max(popularity.sum(), 1)
    ndcg, recall, recommended, novelty = [], [], set(), []
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for start in range(0, len(users), block):
        rows = users[start : start + block]
        histories = Histories.from_interactions(train, rows)
        scores = np.asarray(score(histories, rows), dtype=np.float64)
        scores[seen[rows].nonzero()] = -np.inf
        top = _top_k(scores, k)
        order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
        ranked = np.take_along_axis(top, order, axis=1)
        for row, (user, items) in enumerate(zip(rows, ranked, strict=True)):
            items = items[np.isfinite(scores[row, items])]  # tiny catalogues: seen remain
            wanted = relevant[int(user)]
            hits = np.array([item in wanted for item in items], dtype=float)
            ideal = discounts[: min(len(wanted), 10)].sum()
            ndcg.append(float((hits[:10] * discounts[: min(10, len(hits))]).sum() / ideal))
            recall.append(float(hits.sum() / min(len(wanted), k)))
            recommended.update(int(i) for i in items[:10])
            novelty.append(float(-np.log2(np.maximum(share[items[:10]], 1e-12)).mean()))
    catalogue = int((popularity > 0).sum())
    return Metrics(
        ndcg_at_10=float(np.mean(ndcg)) if ndcg else 0.0,
        recall_at_20=float(np.mean(recall)) if recall else 0.0,
        coverage=len(recommended) / max(catalogue, 1),
        novelty=float(np.mean(novelty)) if novelty else 0.0,
        users=len(users),
    )


def ndcg_of_scores(
    scores: np.ndarray, seen: sp.csr_matrix, relevant: list[set[int]], k: int = 10
) -> float:
    """Mean binary NDCG@k of dense `scores` rows (seen entries are excluded)."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    scores[seen.nonzero()] = -np.inf
    top = _top_k(scores, k)
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    ranked = np.take_along_axis(top, order, axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    total = 0.0
    for row, (items, wanted) in enumerate(zip(ranked, relevant, strict=True)):
        items = items[np.isfinite(scores[row, items])]  # tiny catalogues: seen items remain
        gains = np.fromiter((item in wanted for item in items), dtype=float, count=len(items))
        total += (gains * discounts[: len(items)]).sum() / discounts[: min(len(wanted), k)].sum()
    return total / max(len(relevant), 1)


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indexes of each row's k best scores, unordered (all of them in tiny catalogues)."""
    if k >= scores.shape[1]:
        return np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
    return np.argpartition(-scores, k, axis=1)[:, :k]
