"""Comparing models on one time split, each tuned the same way (see `tuning`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from rapport.core.components import RankingModel
from rapport.core.interactions import Interactions
from rapport.core.models import Schema
from rapport.evaluation.protocol import RecommendationMetrics, evaluate_model
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
        runs.append(
            ModelRun(
                model=name,
                params=tuned.config.model_dump(),
                validation_ndcg=tuned.validation_ndcg,
                fold_ndcg=tuned.fold_ndcg,
                metrics=evaluate_model(fitted, train_part, test),
                tune_seconds=round(tuned.seconds, 2),
                fit_seconds=round(seconds, 2),
            )
        )
    best = max((r.metrics.ndcg_at_10 for r in runs if r.model != OWN), default=0.0)
    ratios = {r.model: round(r.metrics.ndcg_at_10 / best, 4) if best else 0.0 for r in runs}
    return Comparison(runs=runs, ratios=ratios)
