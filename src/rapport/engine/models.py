"""`engine.models`: training, model versions and offline evaluation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rapport.core.errors import Conflict, NotFound
from rapport.core.interactions import Interactions
from rapport.engine.services import Services
from rapport.evaluation.peers import OWN, Comparison, compare
from rapport.services.recommend import training
from rapport.services.recommend.artifacts import ModelManifest
from rapport.services.recommend.models import MODELS, PEERS
from rapport.services.recommend.training import TrainingConfig

Progress = Callable[[int], None]


class ModelsArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def train(
        self,
        *,
        tenant: str | None = None,
        config: TrainingConfig | None = None,
        progress: Progress | None = None,
    ) -> ModelManifest:
        """Fit the recommender on all events, choosing its settings on a time-ordered
        validation split; the new version serves immediately. Conflict without events."""
        return training.train_tenant(
            self._s.store,
            self._s.models,
            self._s.tenant(tenant),
            self._s.recommender_config.signals,
            config or self._s.training_config,
            progress,
        )

    def ensure_trainable(self, *, tenant: str | None = None) -> None:
        """Conflict when the tenant has no item events (checked before training in the
        background, so the caller hears about it)."""
        training.ensure_trainable(self._s.store, self._s.tenant(tenant))

    def show(self, version: str | None = None, *, tenant: str | None = None) -> ModelManifest:
        """The manifest of the serving (or a named) model version."""
        tenant = self._s.tenant(tenant)
        manifest = self._s.models.manifest(tenant, version)
        if manifest is None:
            raise NotFound(
                "trained model",
                version or "current",
                "train one with `rapport model train` or POST /model/train",
            )
        return manifest

    def versions(self, *, tenant: str | None = None) -> list[str]:
        """Stored versions, oldest first."""
        return self._s.models.versions(self._s.tenant(tenant))

    def interactions(self, *, tenant: str | None = None) -> Interactions:
        """Every event of the tenant, aggregated per (user, item): the training input."""
        tenant = self._s.tenant(tenant)
        return training.interactions(self._s.store, tenant, self._s.recommender_config.signals)

    def evaluate(
        self,
        peers: Sequence[str] = (),
        *,
        tenant: str | None = None,
        progress: Progress | None = None,
    ) -> Comparison:
        """The offline protocol on the tenant's own data: the trained model (as `rapport`)
        and the named peers, each tuned the same way, on one time split."""
        unknown = [p for p in peers if p not in MODELS]
        if unknown:
            raise ValueError(f"unknown peer(s) {', '.join(unknown)}: use {', '.join(PEERS)}")
        tenant = self._s.tenant(tenant)
        training.ensure_trainable(self._s.store, tenant)
        config = self._s.training_config
        models = {name: MODELS[name] for name in peers} | {OWN: MODELS[config.model]}
        return compare(
            models,
            self.interactions(tenant=tenant),
            tuning=config.tuning,
            settings={OWN: config.settings},
            search_spaces={OWN: config.space} if config.space else None,
            progress=progress,
        )

    def retrain_due(self, min_new_events: int = 500, min_growth: float = 0.1) -> list[str]:
        """Retrain every tenant whose event count grew enough since its model was trained
        (`training.retrain_due`), or who erased a user since; returns the tenants retrained."""
        done = []
        for tenant in self._s.store.tenants():
            manifest = self._s.models.manifest(tenant)
            trained_on = manifest.training.events if manifest else None
            events = self._s.store.count_events(tenant)
            # A model that learned from erased users is replaced as soon as possible.
            erased = manifest is not None and manifest.erased_users_since > 0
            if not erased and not training.retrain_due(
                events, trained_on, min_new_events, min_growth
            ):
                continue
            try:
                self.train(tenant=tenant)
            except Conflict:  # events, but none about items: nothing to learn from yet
                continue
            done.append(tenant)
        return done
