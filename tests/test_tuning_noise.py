"""The tuner does not fit the noise of few validation users: a change of settings is kept
only when its paired per-user gain clears its standard error, and settings per activity
level are only searched when each level has enough validation users."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
from pydantic import Field

from rapport.core.components import ComponentConfig, RankingModel
from rapport.core.histories import Histories
from rapport.core.interactions import Interactions
from rapport.evaluation.tuning import TuningConfig, activity_levels, tune
from rapport.services.recommend.models import MODELS
from tests.test_models import interactions


class NoisyConfig(ComponentConfig):
    jitter: int = Field(default=0, ge=0)
    """0: popularity alone; any other value adds that seed's random scores (pure noise)."""

    search_space: ClassVar[dict[str, list[Any]]] = {"jitter": [0, 1, 2, 4, 10]}


class Noisy(RankingModel[NoisyConfig]):
    """Popularity plus, for `jitter` > 0, seeded noise of about its own size: no setting but
    0 is better on any data, yet noisy ones win on a few validation users by luck."""

    name = "noisy"
    Config = NoisyConfig

    def fit(self, data: Interactions) -> Self:
        counts = np.bincount(data.items, minlength=len(data.item_ids)).astype(np.float64)
        self.counts = counts / max(counts.max(), 1.0)
        self.item_ids = list(data.item_ids)
        return self

    def reconfigure(self, config: NoisyConfig) -> bool:
        self.config = config
        return True

    def score(self, histories: Histories) -> np.ndarray:
        scores = np.tile(self.counts, (len(histories), 1))
        if self.config.jitter:
            rng = np.random.default_rng(self.config.jitter)
            scores += 0.5 * rng.random(scores.shape)
        return scores

    def arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.counts = arrays["counts"]


ASCENT = {"max_grid": 1, "passes": 1, "activity_levels": 1, "max_folds": 2}
"""Coordinate ascent (not an exhaustive grid) over the one setting, on two periods."""


def test_a_gain_within_the_noise_of_few_users_is_not_taken() -> None:
    data = interactions(60)
    greedy = tune(Noisy, data, TuningConfig(**ASCENT, min_gain=0.0, significance=0.0))
    careful = tune(Noisy, data, TuningConfig(**ASCENT, min_gain=0.0))
    # Without the test, the luckiest noise seed beats plain popularity on validation...
    assert greedy.config.jitter != 0  # type: ignore[attr-defined]
    assert greedy.validation_ndcg > greedy.baseline_ndcg
    # ... with it, that gain is within a standard error, and the start is kept.
    assert careful.config.jitter == 0  # type: ignore[attr-defined]
    assert careful.validation_ndcg == careful.baseline_ndcg
    assert len(careful.tried) == len(greedy.tried) == 5  # the same candidates were judged
    # A bar of 0.3 standard errors lets the luckiest seed (0.4 of one) through again.
    loose = tune(Noisy, data, TuningConfig(**ASCENT, min_gain=0.0, significance=0.3))
    assert loose.config.jitter == greedy.config.jitter  # type: ignore[attr-defined]
    assert len(careful.fold_ndcg) == 2


def test_a_clear_gain_is_still_taken_on_few_users() -> None:
    # Users walk their cluster's items in order: the sequence source is a real gain, even
    # judged on a dozen validation users per fold.
    data = interactions(60)
    tuned = tune(MODELS["hybrid"], data, TuningConfig(passes=1))
    assert tuned.config.sequence_weight > 0  # type: ignore[attr-defined]
    assert tuned.validation_ndcg > tuned.baseline_ndcg * 1.1


def test_activity_levels_follow_the_number_of_validation_users() -> None:
    config = TuningConfig()  # three levels of at least 150 users each
    assert [activity_levels(n, config) for n in (0, 149, 299, 300, 449, 450, 5000)] == [
        1,
        1,
        1,
        2,
        2,
        3,
        3,
    ]
    assert activity_levels(5000, TuningConfig(activity_levels=1)) == 1
    assert activity_levels(40, TuningConfig(min_level_users=10, activity_levels=5)) == 4


def test_few_validation_users_get_global_settings_only() -> None:
    data = interactions(60)
    few = tune(MODELS["hybrid"], data, TuningConfig(passes=1))
    assert few.validation_users < 2 * 150
    assert few.config.by_activity == [] and few.config.activity_edges == []  # type: ignore[attr-defined]


def test_periods_are_added_until_there_are_enough_validation_users() -> None:
    data = interactions(60)  # 58 validation users in each period
    counts = {
        needed: len(tune(Noisy, data, TuningConfig(min_validation_users=needed)).fold_ndcg)
        for needed in (0, 116, 117, 10_000)
    }
    assert counts == {0: 2, 116: 2, 117: 3, 10_000: 4}
    assert len(tune(Noisy, data, TuningConfig(folds=1, max_folds=1)).fold_ndcg) == 1
    # Judged on four periods, the noise that won on two no longer looks like a gain.
    greedy = tune(Noisy, data, TuningConfig(**{**ASCENT, "max_folds": 4}, significance=0.0))
    assert greedy.config.jitter == 0  # type: ignore[attr-defined]


class Waiting(Noisy):
    """Noisy whose fit takes wall time but no CPU, as on a machine other processes keep busy."""

    name = "waiting"

    def fit(self, data: Interactions) -> Self:
        time.sleep(0.2)
        return super().fit(data)


class Busy(Noisy):
    """Noisy whose fit keeps a core busy for 0.2 s: a really costly fit."""

    name = "busy"

    def fit(self, data: Interactions) -> Self:
        ends = time.process_time() + 0.2
        while time.process_time() < ends:
            pass
        return super().fit(data)


def test_how_many_periods_judge_does_not_follow_the_machines_load() -> None:
    data = interactions(60)  # four periods unless one fit takes over a tenth of the budget
    budget = TuningConfig(max_seconds=0.2 / len(os.sched_getaffinity(0)) * 4 * 10 / 2)
    assert len(tune(Waiting, data, budget).fold_ndcg) == 4
    assert len(tune(Busy, data, budget).fold_ndcg) == 1
