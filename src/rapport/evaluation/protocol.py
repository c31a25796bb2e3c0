"""The offline protocol for recommendations, used by `rapport eval recommend`, the benchmark
and training alike.

Per user, interactions sorted by time and the newest 20% held out (`splits.split_by_time`);
relevant = held-out items rated at or above the positive threshold, or with a strong signal
when unrated. Every model ranks all training-catalogue items the user has not interacted with
in training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from rapport.core.histories import Histories
from rapport.core.interactions import Interactions
from rapport.core.models import Schema
from rapport.evaluation.metrics import ndcg_at_k, recall_at_k, top_k
from rapport.evaluation.splits import relevant_sets

SCORE_CELLS = 20_000_000
"""Users x items scored at once (80 MB of float32): bounds memory on large catalogues."""


class Scorer(Protocol):
    def score(self, histories: Histories) -> np.ndarray: ...


class RecommendationMetrics(Schema):
    """Quality of one model's top lists on the held-out part."""

    ndcg_at_10: float
    """Binary NDCG@10."""
    recall_at_20: float
    """Hits in the top 20 / min(relevant, 20)."""
    coverage: float
    """Share of the training catalogue that appears in someone's top 10."""
    novelty: float
    """Mean -log2 popularity share of the top-10 items."""
    users: int
    """Users with at least one relevant held-out item: those evaluated."""
    short_lists: int
    """Evaluated users who got fewer than 10 items (0: nobody is left without a full list)."""


@dataclass
class Validation:
    """Fixed validation users, their histories and wanted items: scores many candidate
    settings of a model cheaply (the tuning objective)."""

    histories: Histories
    seen: sp.csr_matrix
    wanted: list[dict[int, float]]

    @classmethod
    def build(
        cls, train: Interactions, relevant: dict[int, set[int]], users: np.ndarray
    ) -> Validation:
        """For `users` (indexes into `train.user_ids`): histories from `train`, wanted items
        from `relevant` (see `splits.relevant_sets`)."""
        histories = Histories.from_interactions(train, users)
        wanted = [dict.fromkeys(relevant.get(int(u), ()), 1.0) for u in users]
        return cls(histories, histories.seen(), wanted)

    def subset(self, rows: np.ndarray) -> Validation:
        """The same validation restricted to some of its users (by row)."""
        return Validation(
            self.histories.take(rows), self.seen[rows], [self.wanted[r] for r in rows]
        )

    def ndcg(self, model: Scorer, k: int = 10) -> float:
        """Mean NDCG@k of the model's lists for the validation users."""
        return _mean(self.per_user(model, k).tolist())

    def per_user(self, model: Scorer, k: int = 10) -> np.ndarray:
        """NDCG@k of the model's list for each validation user (in row order), scored in
        blocks so that a block's score matrix stays small whatever the catalogue size."""
        block = max(1, SCORE_CELLS // max(self.seen.shape[1], 1))
        values: list[float] = []
        for start in range(0, len(self.histories), block):
            rows = np.arange(start, min(start + block, len(self.histories)))
            part = self if len(rows) == len(self.histories) else self.subset(rows)
            ranked = top_k(model.score(part.histories), k, part.seen)
            values += [
                ndcg_at_k(r.tolist(), w, k) for r, w in zip(ranked, part.wanted, strict=True)
            ]
        return np.array(values, dtype=np.float64)


def evaluate_model(
    model: Scorer,
    train: Interactions,
    test: Interactions,
    *,
    k: int = 20,
    block: int = 512,
    positive_rating: float = 4.0,
) -> RecommendationMetrics:
    """Rank unseen items for every user with a relevant held-out item and score the lists."""
    return evaluate_per_user(model, train, test, k=k, block=block, positive_rating=positive_rating)[
        0
    ]


def evaluate_per_user(
    model: Scorer,
    train: Interactions,
    test: Interactions,
    *,
    k: int = 20,
    block: int = 512,
    positive_rating: float = 4.0,
) -> tuple[RecommendationMetrics, np.ndarray]:
    """`evaluate_model`, and each evaluated user's NDCG@10 (users in index order): what
    paired comparisons between models resample."""
    relevant = relevant_sets(test, positive_rating)
    users = np.array(sorted(relevant), dtype=np.int32)
    popularity = np.bincount(train.items, minlength=len(train.item_ids))
    share = popularity / max(popularity.sum(), 1)
    ndcg, recall, novelty = [], [], []
    short = 0
    recommended: set[int] = set()
    for start in range(0, len(users), block):
        validation = Validation.build(train, relevant, users[start : start + block])
        ranked = top_k(model.score(validation.histories), k, validation.seen)
        for items, wanted in zip(ranked, validation.wanted, strict=True):
            listed = items.tolist()
            short += len(listed) < 10
            ndcg.append(ndcg_at_k(listed, wanted, 10))
            recall.append(recall_at_k(listed, wanted, k, capped=True))
            recommended.update(listed[:10])
            novelty.append(float(-np.log2(np.maximum(share[items[:10]], 1e-12)).mean()))
    metrics = RecommendationMetrics(
        ndcg_at_10=_mean(ndcg),
        recall_at_20=_mean(recall),
        coverage=len(recommended) / max(int((popularity > 0).sum()), 1),
        novelty=_mean(novelty),
        users=len(users),
        short_lists=short,
    )
    return metrics, np.array(ndcg)


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else 0.0
