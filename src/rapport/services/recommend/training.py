"""Training: settings chosen on a time-ordered validation split, then a refit on everything,
and the policy that says when a tenant's model is due for retraining."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import Field, field_validator

from rapport.core.components import ComponentConfig, RankingModel
from rapport.core.errors import Conflict
from rapport.core.interactions import Interactions
from rapport.core.models import utcnow
from rapport.core.signals import SignalWeights
from rapport.core.store.model_decisions import ModelDecisionStore
from rapport.core.store.repository import Store
from rapport.evaluation.tuning import Tuned, TuningConfig, tune
from rapport.services.recommend import gate
from rapport.services.recommend.artifacts import (
    ModelManifest,
    ModelStore,
    TrainedModel,
    TrainingStats,
    ValidationStats,
)
from rapport.services.recommend.models import MODELS

log = structlog.get_logger(__name__)


class TrainingConfig(ComponentConfig):
    """What `rapport train` fits and how it searches (the `[training]` settings section)."""

    model: str = "hybrid"
    """Registered model to train: hybrid (rapport's own), ease, als, bpr, itemknn, popularity."""
    settings: dict[str, Any] = Field(default_factory=dict)
    """Settings of that model held fixed, e.g. `{"min_support": 3}`; the rest is searched."""
    space: dict[str, list[Any]] | None = None
    """Values to search per setting, replacing the space the model declares."""
    tuning: TuningConfig = Field(default_factory=TuningConfig)
    """How the search is run."""
    gate_margin: float = Field(default=0.02, ge=0, le=1)
    """The model gate: a new version serves only when its validation NDCG@10 is at least
    (1 - gate_margin) times the serving version's on the same split; otherwise it is kept
    as a candidate (`rapport model use` can still serve it)."""

    @field_validator("model")
    @classmethod
    def _registered(cls, value: str) -> str:
        if value not in MODELS:
            raise ValueError(f"unknown model '{value}': use {', '.join(MODELS)}")
        return value


@dataclass
class Trained:
    model: RankingModel[Any]
    tuned: Tuned
    seconds: float
    """Tuning and the final fit together."""


def train(
    data: Interactions,
    config: TrainingConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> Trained:
    """Choose settings on the newest share of each user's history, then refit the chosen
    model on all of `data`."""
    config = config or TrainingConfig()
    started = time.perf_counter()
    model = MODELS[config.model]
    tuned = tune(
        model,
        data,
        config.tuning,
        base=config.settings,
        search_space=config.space,
        progress=progress,
    )
    fitted = model(tuned.config).fit(data)
    return Trained(fitted, tuned, time.perf_counter() - started)


def interactions(store: Store, tenant: str, signals: SignalWeights) -> Interactions:
    """Every event of the tenant, aggregated per (user, item): the training input."""
    return Interactions.from_columns(store.item_event_columns(tenant), signals)


def ensure_trainable(store: Store, tenant: str) -> None:
    if not store.count_events(tenant, about_items=True):
        raise Conflict(f"tenant '{tenant}' has no item events to train on")


def train_tenant(
    store: Store,
    models: ModelStore,
    tenant: str,
    signals: SignalWeights,
    config: TrainingConfig | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    decisions: ModelDecisionStore | None = None,
    force: bool = False,
    must_replace: str = "",
) -> ModelManifest:
    """Train on all of the tenant's events and save the new version; it serves when the
    model gate lets it (see `gate.decide`; `force` overrides), else it is kept as a
    candidate. The decision is written to `decisions` and the log."""
    config = config or TrainingConfig()
    ensure_trainable(store, tenant)
    events = store.count_events(tenant)
    data = interactions(store, tenant, signals)
    trained = train(data, config, progress)
    serving = models.manifest(tenant)
    verdict = gate.decide(
        trained.tuned, data, config.tuning, serving, config.gate_margin, force, must_replace
    )
    now = utcnow()
    manifest = ModelManifest(
        version=now.strftime("%Y%m%dT%H%M%S%fZ"),
        created_at=now,
        tenant=tenant,
        model=trained.model.name,
        config=trained.model.config.model_dump(),
        summary=trained.model.summary(),
        training=TrainingStats(
            events=events,
            interactions=len(data),
            users=len(data.user_ids),
            items=len(data.item_ids),
            validation_users=trained.tuned.validation_users,
            seconds=round(trained.seconds, 2),
        ),
        validation=ValidationStats(
            ndcg_at_10=round(trained.tuned.validation_ndcg, 5),
            baseline_ndcg_at_10=round(trained.tuned.baseline_ndcg, 5),
            fold_ndcg_at_10=[round(score, 5) for score in trained.tuned.fold_ndcg],
            configurations_tried=len(trained.tuned.tried),
            search_complete=trained.tuned.complete,
        ),
        gate=verdict,
    )
    metrics = verdict.model_dump(exclude={"decision", "reason"}) | {"forced": force}
    if decisions is not None:  # first: a reader who sees the version also sees why
        decisions.add(tenant, manifest.version, verdict.decision, verdict.reason, metrics, now)
    models.save(TrainedModel(trained.model, manifest), current=verdict.decision == "serve")
    log.info(
        "model gate",
        tenant=tenant,
        version=manifest.version,
        decision=verdict.decision,
        reason=verdict.reason,
        **metrics,
    )
    return manifest


def retrain_due(events: int, trained_on: int | None, min_new: int, min_growth: float) -> bool:
    """True when `events` grew past the count the current model saw by at least `min_new`
    events and `min_growth` (a share of that count); always when nothing is trained yet
    and there are at least `min_new` events."""
    before = trained_on or 0
    new = events - before
    return new >= min_new and new >= min_growth * max(before, 1)
