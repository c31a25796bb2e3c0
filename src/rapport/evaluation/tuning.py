"""Choosing a model's settings on a time-ordered validation split: no hand tuning is needed
for a new platform, and every model (rapport's own and its peers) is tuned the same way.

The training part is split again by time; candidates from the model config's search space are
fitted (or, when only scoring settings change, re-scored) and judged by NDCG@10 of the
validation users. Small spaces are searched exhaustively, large ones by coordinate ascent from
each declared start, keeping a change only when its gain is clearly more than the noise of
the validation users: at least `min_gain`, and `significance` standard errors of the paired
per-user difference. Fewer validation users (a small platform) mean a larger standard error,
so the search stays nearer its starting point instead of fitting that noise; per-level
settings are only searched when each level has enough validation users.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import structlog
from pydantic import Field

from rapport.core.components import ComponentConfig, RankingModel
from rapport.core.interactions import Interactions
from rapport.evaluation.protocol import Validation
from rapport.evaluation.splits import relevant_sets, time_fold

log = structlog.get_logger(__name__)

Progress = Callable[[int], None]
Space = Mapping[str, list[Any]]


class TuningConfig(ComponentConfig):
    """How settings are searched; the defaults suit catalogues from hundreds to ~25k items."""

    holdout: float = Field(default=0.2, gt=0, lt=1)
    """Share of each user's interactions in one validation period."""
    folds: int = Field(default=2, ge=1, le=5)
    """Validation periods at least, counted back from the newest: settings are judged by
    their mean NDCG@10 over them, so one period's quirks do not decide alone (one period
    only when a single fit takes over a tenth of `max_seconds` in CPU time per core, which,
    unlike wall time, does not grow with other processes' load)."""
    max_folds: int = Field(default=4, ge=1, le=5)
    """Older periods are added, up to this many in all, while the validation users of all
    periods together number fewer than `min_validation_users`: a small platform's choices
    are judged on more users, so they are less noisy."""
    min_validation_users: int = Field(default=800, ge=0)
    """Validation users (summed over the periods) that more periods are added to reach."""
    passes: int = Field(default=3, ge=1)
    """Coordinate-ascent passes over the search space."""
    max_validation_users: int = Field(default=5000, ge=10)
    """Validation users are sampled down to this many..."""
    max_validation_cells: int = Field(default=200_000_000, ge=1000)
    """... and to at most this many users x catalogue items, so that judging one candidate
    takes seconds on large catalogues too (2,000 users at 100k items, 200 at a million)."""
    max_seconds: float = Field(default=600.0, gt=0)
    """Time budget of the search and the final fit together: the search takes no candidate
    that would end later than the final fit needs (estimated from the first validation
    fit); the best settings found so far are kept, and the manifest says the search was
    cut short."""
    min_gain: float = Field(default=0.005, ge=0)
    """Relative validation gain a change must bring to be kept: small gains are mostly noise
    of the validation users, and keeping them fits that noise."""
    significance: float = Field(default=1.0, ge=0)
    """A change is also kept only when its mean gain exceeds this many standard errors of
    the per-user gains (paired over the same validation users, pooled over the folds): the
    bar rises by itself when there are few validation users. 0 turns the test off."""
    max_grid: int = Field(default=64, ge=1)
    """Spaces with at most this many combinations are searched exhaustively."""
    activity_levels: int = Field(default=3, ge=1, le=5)
    """For models that declare activity fields: users are split into this many levels by
    history length (equal-sized among the validation users), and those settings are chosen
    per level. 1 turns this off."""
    min_level_users: int = Field(default=150, ge=1)
    """Validation users each activity level needs (in the newest fold): with fewer, there
    are fewer levels, and none (global settings only) when two levels would not have that
    many each."""
    positive_rating: float = 4.0
    """Held-out ratings at or above this are relevant."""
    seed: int = 0


@dataclass
class Tuned:
    """The chosen settings and how they were found."""

    config: ComponentConfig
    validation_ndcg: float
    """NDCG@10 of the chosen settings on the validation split."""
    baseline_ndcg: float
    """NDCG@10 of the search's starting point on the same split."""
    fold_ndcg: list[float]
    """NDCG@10 of the chosen settings in each validation period, newest first."""
    complete: bool
    validation_users: int
    seconds: float
    tried: list[tuple[dict[str, Any], float]] = field(default_factory=list)
    """Every candidate scored: its searched settings and validation NDCG@10."""


def tune(
    model: type[RankingModel[Any]],
    data: Interactions,
    config: TuningConfig | None = None,
    *,
    base: Mapping[str, Any] | None = None,
    search_space: Space | None = None,
    progress: Progress | None = None,
) -> Tuned:
    """Settings of `model` chosen on a validation split of `data`. `base` fixes settings
    outside the search; `search_space` replaces the one the model's config declares."""
    config = config or TuningConfig()
    started = time.perf_counter()
    space = dict(model.Config.search_space if search_space is None else search_space)
    start = _update(model.Config.model_validate(base or {}), {k: v[0] for k, v in space.items()})
    space = model(start).searched(space, data)
    folds = _folds(model, start, data, config)
    if not folds:  # too little history to validate: keep the starting point
        return Tuned(start, 0.0, 0.0, [], True, 0, time.perf_counter() - started)
    began, began_cpu = time.perf_counter(), time.process_time()
    folds[0].ndcg(model, start)
    first = time.perf_counter() - began
    # Judged on CPU time per core, not wall time: other processes' load must not change
    # how settings are chosen (on a busy machine the same fit takes twice the wall time).
    first_cpu = (time.process_time() - began_cpu) / _cores()
    if len(folds) > 1 and first_cpu * len(folds) * 10 > config.max_seconds:
        folds = folds[:1]  # one fit takes a large share of the budget: one period only
    # The final fit on all of `data` follows the search: keep time for it.
    final_fit = first * len(data) / max(len(folds[0].train), 1)
    budget = _Budget(started + config.max_seconds - final_fit)
    scores: dict[str, _Score] = {}
    configs: dict[str, ComponentConfig] = {}
    tried: list[tuple[dict[str, Any], float]] = []

    def objective(candidate: ComponentConfig) -> _Score:
        key = repr(sorted(candidate.model_dump().items()))
        if key not in scores:
            began = budget.begin(first=not scores)
            scores[key] = _Score(tuple(fold.per_user(model, candidate) for fold in folds))
            budget.end(began)
            configs[key] = candidate
            tried.append(({name: getattr(candidate, name) for name in space}, scores[key].mean))
            if progress:
                progress(1)
        return scores[key]

    baseline = objective(start)
    best_config, best = start, baseline
    complete = True
    try:
        if math.prod(len(values) for values in space.values()) <= config.max_grid:
            best_config, best = _exhaustive(start, objective, space)
        else:
            rule = _Rule(config.min_gain, config.significance)
            for extra in [{}, *model.Config.search_starts]:
                found, score = _ascend(_update(start, extra), objective, space, config.passes, rule)
                if score.mean > best.mean + 1e-6:
                    best_config, best = found, score
        if model.Config.activity_fields and config.activity_levels > 1:
            best_config, best = _by_activity(best_config, best, folds, space, model, config, budget)
    except _OutOfTime:
        complete = False
        best_key = max(scores, key=lambda key: scores[key].mean)
        best_config, best = configs[best_key], scores[best_key]
    log.info(
        "settings chosen",
        model=model.name,
        validation_ndcg=round(best.mean, 4),
        baseline_ndcg=round(baseline.mean, 4),
        tried=len(scores),
    )
    users = sum(fold.users for fold in folds)
    seconds = time.perf_counter() - started
    return Tuned(
        best_config, best.mean, baseline.mean, best.folds(), complete, users, seconds, tried
    )


def _cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class _Score:
    """One candidate's validation NDCG@10: each validation user's, per fold."""

    per_user: tuple[np.ndarray, ...]

    @property
    def mean(self) -> float:
        """Mean over the folds of each fold's mean (the objective)."""
        return _mean(self.folds())

    def folds(self) -> list[float]:
        return [float(users.mean()) if len(users) else 0.0 for users in self.per_user]

    def gain_over(self, other: _Score) -> tuple[float, float]:
        """Mean paired gain over `other` (same folds, same users) and its standard error."""
        diffs = [a - b for a, b in zip(self.per_user, other.per_user, strict=True)]
        diffs = [d for d in diffs if len(d)]
        if not diffs:
            return 0.0, 0.0
        gain = _mean([float(d.mean()) for d in diffs])
        variance = sum(float(d.var(ddof=1)) / len(d) if len(d) > 1 else 0.0 for d in diffs)
        return gain, math.sqrt(variance) / len(diffs)


@dataclass(frozen=True)
class _Rule:
    """When a change of settings counts as better: its gain is at least `min_gain`
    (relative) and `significance` standard errors of the paired per-user gains (the
    one-standard-error rule of model selection)."""

    min_gain: float
    significance: float

    def better(self, candidate: _Score, current: _Score) -> bool:
        gain, error = candidate.gain_over(current)
        bar = max(self.min_gain * current.mean, self.significance * error)
        return gain > bar + 1e-9


class _OutOfTime(Exception):
    """The search's time budget ran out."""


@dataclass
class _Budget:
    """A candidate is scored only when the slowest one so far would still end before the
    deadline, so the search stops in time rather than one costly refit after it."""

    deadline: float
    slowest: float = 0.0

    def begin(self, first: bool = False) -> float:
        now = time.perf_counter()
        if not first and now + self.slowest > self.deadline:
            raise _OutOfTime
        return now

    def end(self, began: float) -> None:
        self.slowest = max(self.slowest, time.perf_counter() - began)


@dataclass
class _Fold:
    """One validation period: its training part, its users, and the model fitted on it
    (re-scored without refitting while only scoring settings change)."""

    train: Interactions
    validation: Validation | None
    users: int
    current: RankingModel[Any] | None = None
    parent: _Fold | None = None

    @classmethod
    def build(
        cls,
        model: type[RankingModel[Any]],
        start: ComponentConfig,
        data: Interactions,
        config: TuningConfig,
        fold: int,
    ) -> _Fold:
        train, valid = time_fold(data, config.holdout, fold)
        relevant = relevant_sets(valid, config.positive_rating)
        users = np.array(sorted(relevant), dtype=np.int32)
        most = min(config.max_validation_users, config.max_validation_cells // len(data.item_ids))
        if len(users) > max(most, 10):
            rng = np.random.default_rng(config.seed + fold)
            users = np.sort(rng.choice(users, max(most, 10), replace=False))
        if not len(users):
            return cls(train, None, 0)
        return cls(train, Validation.build(train, relevant, users), len(users))

    def level(self, edges: list[int], level: int) -> _Fold:
        """This fold restricted to the validation users of one activity level (sharing the
        fitted model)."""
        assert self.validation is not None
        lengths = self.validation.histories.lengths()
        rows = np.flatnonzero(np.searchsorted(edges, lengths, side="right") == level)
        part = _Fold(self.train, self.validation.subset(rows), len(rows), self.current)
        part.parent = self
        return part

    def ndcg(self, model: type[RankingModel[Any]], candidate: ComponentConfig) -> float:
        return float(self.per_user(model, candidate).mean())

    def per_user(self, model: type[RankingModel[Any]], candidate: ComponentConfig) -> np.ndarray:
        """NDCG@10 of each of the fold's validation users with `candidate` settings."""
        assert self.validation is not None
        if self.parent is not None:  # a level of a fold: fit (or re-score) with the fold
            self.current = self.parent.fitted(model, candidate)
            return self.validation.per_user(self.current)
        return self.validation.per_user(self.fitted(model, candidate))

    def fitted(
        self, model: type[RankingModel[Any]], candidate: ComponentConfig
    ) -> RankingModel[Any]:
        """The fold's model with `candidate` settings, refitted only when needed."""
        if self.current is None or not self.current.reconfigure(candidate):
            self.current = model(candidate).fit(self.train)
        return self.current


def _folds(
    model: type[RankingModel[Any]], start: ComponentConfig, data: Interactions, config: TuningConfig
) -> list[_Fold]:
    """The validation periods, newest first: `folds` of them, and older ones while the
    users of all together are fewer than `min_validation_users` (periods without
    validation users are dropped)."""
    folds: list[_Fold] = []
    for index in range(max(config.folds, config.max_folds)):
        enough = sum(fold.users for fold in folds) >= config.min_validation_users
        if index >= config.folds and enough:
            break
        folds.append(_Fold.build(model, start, data, config, index))
    return [fold for fold in folds if fold.users]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def activity_levels(users: int, config: TuningConfig) -> int:
    """How many activity levels `users` validation users support: each level needs
    `min_level_users` of them, so small platforms get fewer levels (1: global settings)."""
    return max(1, min(config.activity_levels, users // config.min_level_users))


def _by_activity(
    chosen: ComponentConfig,
    score: _Score,
    folds: list[_Fold],
    space: Space,
    model: type[RankingModel[Any]],
    config: TuningConfig,
    budget: _Budget,
) -> tuple[ComponentConfig, _Score]:
    """Choose the model's activity fields again for each level of user activity, on that
    level's validation users alone (a user's score depends only on their own level's
    settings, so the levels are searched one at a time). Kept only when the whole is
    clearly better than the global settings."""
    first = folds[0].validation
    assert first is not None
    count = activity_levels(folds[0].users, config)
    shares = np.arange(1, count) / count
    edges = sorted({int(np.ceil(q)) for q in np.quantile(first.histories.lengths(), shares)})
    fields = {k: values for k, values in space.items() if k in model.Config.activity_fields}
    if not edges or not fields:
        return chosen, score
    rule = _Rule(config.min_gain, config.significance)
    levels = [
        _level_settings(chosen, edges, level, folds, fields, model, config, budget, rule)
        for level in range(len(edges) + 1)
    ]
    final = _update(chosen, {"activity_edges": edges, "by_activity": levels})
    final_score = _Score(tuple(fold.per_user(model, final) for fold in folds))
    return (final, final_score) if rule.better(final_score, score) else (chosen, score)


def _level_settings(
    chosen: ComponentConfig,
    edges: list[int],
    level: int,
    folds: list[_Fold],
    fields: Space,
    model: type[RankingModel[Any]],
    config: TuningConfig,
    budget: _Budget,
    rule: _Rule,
) -> dict[str, Any]:
    """The activity fields that differ from `chosen` for one level, by coordinate ascent."""
    parts = [part for part in (fold.level(edges, level) for fold in folds) if part.users]
    memo: dict[str, _Score] = {}

    def as_level(candidate: ComponentConfig) -> ComponentConfig:
        overrides = {k: getattr(candidate, k) for k in fields}
        changed = {k: v for k, v in overrides.items() if v != getattr(chosen, k)}
        by_activity = [changed if i == level else {} for i in range(len(edges) + 1)]
        return _update(chosen, {"activity_edges": edges, "by_activity": by_activity})

    def objective(candidate: ComponentConfig) -> _Score:
        key = repr(sorted(candidate.model_dump().items()))
        if key not in memo:
            began = budget.begin()
            memo[key] = _Score(tuple(part.per_user(model, as_level(candidate)) for part in parts))
            budget.end(began)
        return memo[key]

    if not parts:
        return {}
    found, _ = _ascend(chosen, objective, fields, config.passes, rule)
    levels: list[dict[str, Any]] = as_level(found).by_activity  # type: ignore[attr-defined]
    return levels[level]


def _update(config: ComponentConfig, values: Mapping[str, Any]) -> ComponentConfig:
    """A copy with `values` applied and validated (search spaces may come from a file)."""
    return type(config).model_validate({**config.model_dump(), **values})


def _exhaustive(
    start: ComponentConfig, objective: Callable[[ComponentConfig], _Score], space: Space
) -> tuple[ComponentConfig, _Score]:
    """Every combination, in declaration order; the first of equal scores wins."""
    best_config, best = start, objective(start)
    for values in itertools.product(*space.values()):
        candidate = _update(start, dict(zip(space, values, strict=True)))
        score = objective(candidate)
        if score.mean > best.mean:
            best_config, best = candidate, score
    return best_config, best


def _ascend(
    start: ComponentConfig,
    objective: Callable[[ComponentConfig], _Score],
    space: Space,
    passes: int,
    rule: _Rule,
) -> tuple[ComponentConfig, _Score]:
    """Coordinate ascent: per setting, the best of its values is taken only when `rule`
    finds it clearly better than the current settings."""
    best_config, best = start, objective(start)
    for _ in range(passes):
        improved = False
        for name, values in space.items():
            scored = [(objective(c), c) for c in (_update(best_config, {name: v}) for v in values)]
            score, candidate = max(scored, key=lambda pair: pair[0].mean)
            if rule.better(score, best):
                best_config, best, improved = candidate, score, True
        if not improved:
            break
    return best_config, best


def score_settings(
    model: type[RankingModel[Any]],
    settings: Mapping[str, Any],
    data: Interactions,
    config: TuningConfig | None = None,
    folds: int | None = None,
) -> list[float]:
    """NDCG@10 per validation period of `model` with fixed `settings`, fitted on each
    period's training part: the same periods and sampled users `tune` judges with (same
    split, same seed), so the numbers compare with `Tuned.fold_ndcg`. `folds` keeps the
    first so many periods (`tune` keeps one when fits are slow)."""
    config = config or TuningConfig()
    fixed = model.Config.model_validate(dict(settings))
    used = _folds(model, fixed, data, config)[: folds if folds is not None else None]
    return [fold.ndcg(model, fixed) for fold in used]
