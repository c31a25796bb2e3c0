"""Training: time-ordered validation split, automatic choice of hyper-parameters and blend
weights, then a refit on everything. No hand tuning is needed for a new platform."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import structlog
from pydantic import BaseModel, ConfigDict, Field

from rapport.services.recommend.evaluation import ndcg_of_scores, relevant_sets
from rapport.services.recommend.histories import Histories
from rapport.services.recommend.hybrid import HybridConfig, HybridModel
from rapport.services.recommend.interactions import Interactions

log = structlog.get_logger(__name__)

# Values tried per parameter; the first is where the search starts. Regularisation and
# gram_low_weight each cost a matrix inversion; the rest only re-score.
SEARCH_SPACE: dict[str, list[float]] = {
    "gram_low_weight": [1.0, 0.0],
    "regularization": [400.0, 100.0, 200.0, 800.0, 1600.0],
    "low_weight": [1.0, 0.5, 0.25, 0.0],
    "half_life": [math.inf, 40.0, 20.0, 10.0],
    "sequence_weight": [0.0, 0.1, 0.25, 0.5],
    "sequence_half_life": [1.0, 3.0],
    "quality_weight": [0.0, 0.25, 0.5],
    "trending_weight": [0.0, 0.1, 0.25],
    "trending_window_days": [180.0, 30.0, 730.0],
}


class TrainingConfig(BaseModel):
    """How `train` searches; the defaults suit catalogues from hundreds to ~25k items."""

    model_config = ConfigDict(extra="forbid")

    holdout: float = Field(default=0.2, gt=0, lt=1)
    """Share of each user's newest interactions used for validation."""
    search_space: dict[str, list[float]] = Field(default_factory=lambda: dict(SEARCH_SPACE))
    passes: int = Field(default=3, ge=1)
    """Coordinate-ascent passes over the search space."""
    max_validation_users: int = Field(default=5000, ge=10)
    extra_starts: list[dict[str, float]] = Field(
        default_factory=lambda: [{"gram_low_weight": 0.0, "low_weight": 0.0}]
    )
    """Further starting points of the ascent (default: strong signals only), so one local
    optimum does not decide alone."""
    min_gain: float = Field(default=0.005, ge=0)
    """Relative validation gain a change must bring to be kept: small gains are mostly
    noise of the validation users, and keeping them fits that noise."""
    seed: int = 0
    base: HybridConfig = Field(default_factory=HybridConfig)
    """Structural settings (min_support, sequence_window, max_ease_items)."""


@dataclass
class TrainingResult:
    model: HybridModel
    validation_ndcg: float
    """NDCG@10 of the chosen configuration on the validation split."""
    baseline_ndcg: float
    """NDCG@10 of the search's starting point (plain EASE) on the same split."""
    seconds: float
    tried: list[tuple[dict[str, float], float]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def train(
    data: Interactions,
    config: TrainingConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> TrainingResult:
    """Choose hyper-parameters on the newest `holdout` of each user's history, then refit
    the chosen model on all of `data`."""
    config = config or TrainingConfig()
    started = time.perf_counter()
    fit_part, valid = data.split_by_time(config.holdout)
    relevant = relevant_sets(valid, config.base.positive_rating)
    users = np.array(sorted(relevant), dtype=np.int32)
    if len(users) > config.max_validation_users:
        rng = np.random.default_rng(config.seed)
        users = np.sort(rng.choice(users, config.max_validation_users, replace=False))
    start = config.base.model_copy(update={k: v[0] for k, v in config.search_space.items()})
    model = HybridModel(start).fit(fit_part)
    tried: dict[str, float] = {}
    log_rows: list[tuple[dict[str, float], float]] = []

    if len(users):
        histories = Histories.from_interactions(fit_part, users)
        position = {item: i for i, item in enumerate(model.item_ids)}
        wanted = [_to_model(relevant[int(u)], data.item_ids, position) for u in users]
        seen = histories_in_model(histories, fit_part.item_ids, position)
        model_histories = seen[0]

        def objective(candidate: HybridConfig) -> float:
            key = candidate.model_dump_json()
            if key not in tried:
                model.configure(candidate)
                tried[key] = ndcg_of_scores(model.score(model_histories), seen[1], wanted)
                log_rows.append((_searched(candidate, config), tried[key]))
                if progress:
                    progress(1)
            return tried[key]

        baseline = objective(start)
        best_config, best = start, baseline
        for extra in [{}, *config.extra_starts]:
            found, score = _ascend(
                start.model_copy(update=extra),
                objective,
                config.search_space,
                config.passes,
                config.min_gain,
            )
            if score > best + 1e-6:
                best_config, best = found, score
    else:  # too little history to validate: keep the defaults
        best_config, best, baseline = start, 0.0, 0.0
    log.info(
        "hyper-parameters chosen",
        validation_ndcg=round(best, 4),
        baseline_ndcg=round(baseline, 4),
        tried=len(tried),
    )
    final = HybridModel(best_config).fit(data)
    final.core()  # materialise the core so saving and serving need no Gram matrices
    return TrainingResult(
        model=final,
        validation_ndcg=best,
        baseline_ndcg=baseline,
        seconds=time.perf_counter() - started,
        tried=log_rows,
        stats={
            "interactions": len(data),
            "users": len(data.user_ids),
            "items": len(data.item_ids),
            "modelled_items": len(final.item_ids),
            "validation_users": len(users),
        },
    )


def _ascend(
    start: HybridConfig,
    objective: Callable[[HybridConfig], float],
    space: dict[str, list[float]],
    passes: int,
    min_gain: float,
) -> tuple[HybridConfig, float]:
    """Coordinate ascent: try each value of one parameter at a time, keep a change only when
    it improves the objective by more than `min_gain` (relative)."""
    best_config, best = start, objective(start)
    for _ in range(passes):
        improved = False
        for name, values in space.items():
            for value in values:
                candidate = best_config.model_copy(update={name: value})
                score = objective(candidate)
                if score > best * (1 + min_gain) + 1e-9:
                    best_config, best, improved = candidate, score, True
        if not improved:
            break
    return best_config, best


def histories_in_model(
    histories: Histories, item_ids: list[str], position: dict[str, int]
) -> tuple[Histories, Any]:
    """Re-index histories from the full catalogue onto the model's items, and the matrix
    of seen items over the model's items."""
    mapping = np.array([position.get(item, -1) for item in item_ids], dtype=np.int64)
    mapped = mapping[histories.items]
    keep = mapped >= 0
    counts = np.array(
        [keep[s:e].sum() for s, e in zip(histories.starts, histories.ends, strict=True)],
        dtype=np.int64,
    )
    ends = np.cumsum(counts)
    result = Histories(
        len(position),
        mapped[keep],
        histories.strength[keep],
        histories.rating[keep],
        histories.time[keep],
        ends - counts,
        ends,
        histories.ref_time,
    )
    return result, result.seen()


def _to_model(items: set[int], item_ids: list[str], position: dict[str, int]) -> set[int]:
    # Unmodelled relevant items stay in the set as unreachable negatives, so the ideal DCG
    # still counts them.
    return {position.get(item_ids[i], -1 - i) for i in items}


def _searched(candidate: HybridConfig, config: TrainingConfig) -> dict[str, float]:
    values = candidate.model_dump()
    return {name: values[name] for name in config.search_space}
