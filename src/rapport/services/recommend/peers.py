"""The classical recommenders rapport is compared with, each tuned the same way rapport is:
on a validation split cut from the training part by time."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from rapport.services.recommend.evaluation import Metrics, ScoreFn, evaluate
from rapport.services.recommend.histories import Histories
from rapport.services.recommend.interactions import Interactions
from rapport.services.recommend.models import (
    ALS,
    BPR,
    EASE,
    CollaborativeModel,
    ItemKNN,
    Popularity,
)
from rapport.services.recommend.training import TrainingConfig, histories_in_model, train

# Hyper-parameter grids tried for each peer.
GRIDS: dict[str, dict[str, list[Any]]] = {
    "popularity": {},
    "itemknn": {"neighbours": [50, 200], "shrink": [0.0, 50.0]},
    "ease": {"regularization": [100.0, 200.0, 400.0, 800.0, 1600.0]},
    "als": {"factors": [64, 128], "regularization": [1.0, 10.0], "alpha": [1.0, 5.0]},
    "bpr": {"factors": [64, 128], "learning_rate": [0.01, 0.05], "regularization": [0.001, 0.01]},
}
CLASSES: dict[str, type[CollaborativeModel]] = {
    "popularity": Popularity,
    "itemknn": ItemKNN,
    "ease": EASE,
    "als": ALS,
    "bpr": BPR,
}


@dataclass
class Run:
    name: str
    params: dict[str, Any]
    validation_ndcg: float
    metrics: Metrics
    fit_seconds: float


def _peer_score(model: CollaborativeModel, train_part: Interactions) -> ScoreFn:
    matrix = train_part.matrix()
    return lambda _histories, users: model.score(matrix[users], users)


def tune_peer(
    name: str,
    train_part: Interactions,
    test: Interactions,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """Pick the peer's grid point on a validation split of `train_part`, refit on all of
    `train_part`, and evaluate on `test`."""
    fit_part, valid = train_part.split_by_time()
    grid = GRIDS[name]
    best: tuple[float, dict[str, Any]] = (-1.0, {})
    # implicit's loops are slower when BLAS also spawns threads.
    with threadpool_limits(1, "blas") if name in ("als", "bpr") else nullcontext():
        for values in itertools.product(*grid.values()):
            params = dict(zip(grid, values, strict=True))
            model = CLASSES[name](params)
            model.fit(fit_part.matrix())
            score = evaluate(_peer_score(model, fit_part), fit_part, valid, k=20).ndcg_at_10
            best = max(best, (score, params), key=lambda pair: pair[0])
            if progress:
                progress(1)
        started = time.perf_counter()
        model = CLASSES[name](best[1])
        model.fit(train_part.matrix())
        seconds = time.perf_counter() - started
        metrics = evaluate(_peer_score(model, train_part), train_part, test)
    return Run(name, best[1], best[0], metrics, seconds)


def run_rapport(
    train_part: Interactions,
    test: Interactions,
    config: TrainingConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """Train rapport on `train_part` exactly as `rapport train` does, evaluate on `test`."""
    result = train(train_part, config, progress)
    model = result.model
    position = {item: i for i, item in enumerate(model.item_ids)}
    mapping = np.array([position.get(i, -1) for i in train_part.item_ids])
    inside = mapping >= 0

    def score(histories: Histories, users: np.ndarray) -> np.ndarray:
        mapped, _ = histories_in_model(histories, train_part.item_ids, position)
        scores = np.full((len(users), len(train_part.item_ids)), -1e9, dtype=np.float32)
        scores[:, inside] = model.score(mapped)[:, mapping[inside]]
        return scores

    metrics = evaluate(score, train_part, test)
    params = {k: v for k, v in model.config.model_dump().items()}
    return Run("rapport", params, result.validation_ndcg, metrics, result.seconds)
