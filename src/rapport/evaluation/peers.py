"""Comparing models on one time split, each tuned the same way (see `tuning`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from rapport.core.components import RankingModel
from rapport.core.interactions import Interactions
from rapport.core.models import Schema
from rapport.evaluation.protocol import RecommendationMetrics, evaluate_per_user
from rapport.evaluation.splits import split_by_time
from rapport.evaluation.tuning import Space, TuningConfig, tune

OWN = "rapport"
"""The name rapport's own model is compared under; the others are its peers."""


class ModelRun(Schema):
    """One model tuned on the training part and evaluated on the held-out part."""

    model: str
    """The name it was compared under."""
    params: dict[str, Any]
    """The settings tuning chose."""
    validation_ndcg: float
    """Mean NDCG@10 of those settings over the validation periods of the training part."""
    fold_ndcg: list[float]
    """NDCG@10 in each validation period, newest first."""
    metrics: RecommendationMetrics
    """Quality on the held-out part."""
    tune_seconds: float
    fit_seconds: float
    """The final fit on the whole training part."""


class Comparison(Schema):
    """Models compared on one split."""

    runs: list[ModelRun]
    ratios: dict[str, float]
    """NDCG@10 of each run divided by the best run that is not rapport's own."""
    intervals: dict[str, list[float]]
    """90% interval of each ratio, from a paired bootstrap over the evaluated users (1,000
    resamples): how much of a margin is the luck of which users were evaluated."""


def compare(
    models: Mapping[str, type[RankingModel[Any]]],
    data: Interactions,
    *,
    tuning: TuningConfig | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    search_spaces: Mapping[str, Space] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Comparison:
    """Split `data` by time; per model, choose settings on a validation split of the training
    part (with `settings[name]` fixed, searching `search_spaces[name]` instead of the
    declared space when given), refit on the whole training part, evaluate."""
    train_part, test = split_by_time(data)
    runs = []
    per_user: dict[str, np.ndarray] = {}
    for name, model in models.items():
        tuned = tune(
            model,
            train_part,
            tuning,
            base=(settings or {}).get(name),
            search_space=(search_spaces or {}).get(name),
            progress=progress,
        )
        started = time.perf_counter()
        fitted = model(tuned.config).fit(train_part)
        seconds = time.perf_counter() - started
        metrics, per_user[name] = evaluate_per_user(fitted, train_part, test)
        runs.append(
            ModelRun(
                model=name,
                params=tuned.config.model_dump(),
                validation_ndcg=tuned.validation_ndcg,
                fold_ndcg=tuned.fold_ndcg,
                metrics=metrics,
                tune_seconds=round(tuned.seconds, 2),
                fit_seconds=round(seconds, 2),
            )
        )
    peers = [r for r in runs if r.model != OWN]
    best = max(peers, key=lambda r: r.metrics.ndcg_at_10, default=None)
    if best is None or not best.metrics.ndcg_at_10:
        return Comparison(runs=runs, ratios={r.model: 0.0 for r in runs}, intervals={})
    ratios = {r.model: round(r.metrics.ndcg_at_10 / best.metrics.ndcg_at_10, 4) for r in runs}
    intervals = {r.model: ratio_interval(per_user[r.model], per_user[best.model]) for r in runs}
    return Comparison(runs=runs, ratios=ratios, intervals=intervals)


def ratio_interval(ours: np.ndarray, theirs: np.ndarray, draws: int = 1000) -> list[float]:
    """5th and 95th percentile of mean(ours) / mean(theirs) over paired units (users, or
    queries) resampled together."""
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(ours), size=(draws, len(ours)))
    ratios = ours[picks].mean(axis=1) / np.maximum(theirs[picks].mean(axis=1), 1e-12)
    return [round(float(q), 4) for q in np.percentile(ratios, [5, 95])]
