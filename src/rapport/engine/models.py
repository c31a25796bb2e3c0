"""`engine.models`: training, model versions and offline evaluation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rapport.core.errors import Conflict, NotFound
from rapport.core.interactions import Interactions
from rapport.core.models import Page
from rapport.core.store.model_decisions import ModelDecision
from rapport.engine.services import Services
from rapport.evaluation.peers import OWN, Comparison, compare
from rapport.services.recommend import training
from rapport.services.recommend import versions as model_versions
from rapport.services.recommend.artifacts import ModelManifest
from rapport.services.recommend.models import MODELS, PEERS
from rapport.services.recommend.training import TrainingConfig
from rapport.services.recommend.versions import ModelVersion

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
        force: bool = False,
    ) -> ModelManifest:
        """Fit the recommender on all events, choosing its settings on a time-ordered
        validation split. The new version serves at once when the model gate lets it (its
        validation NDCG@10 not worse than the serving version's on the same split by more
        than `[training] gate_margin`; `force` skips the check), else it is kept as a
        candidate; `manifest.gate` says which and why. Conflict without events."""
        return self._train(self._s.tenant(tenant), config, progress, force)

    def _train(
        self,
        tenant: str,
        config: TrainingConfig | None = None,
        progress: Progress | None = None,
        force: bool = False,
        must_replace: str = "",
    ) -> ModelManifest:
        return training.train_tenant(
            self._s.store,
            self._s.models,
            tenant,
            self._s.recommender_config.signals,
            config or self._s.training_config,
            progress,
            decisions=self._s.model_decisions,
            force=force,
            must_replace=must_replace,
        )

    def use(
        self,
        version: str,
        *,
        tenant: str | None = None,
        reason: str = "",
        at: datetime | None = None,
    ) -> ModelDecision:
        """Serve `version` from the next request on, in every process (roll back or
        forward); the decision is recorded. NotFound when it is not stored."""
        return model_versions.use(
            self._s.models, self._s.model_decisions, self._s.tenant(tenant), version, reason, at
        )

    def decisions(
        self,
        version: str | None = None,
        *,
        tenant: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[ModelDecision]:
        """What the gate and operators decided about model versions, newest first."""
        return self._s.model_decisions.list(self._s.tenant(tenant), version, limit, offset)

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

    def versions(self, *, tenant: str | None = None) -> list[ModelVersion]:
        """Stored versions, oldest first, each serving, candidate or retired, with the
        latest decision about it."""
        return model_versions.list_versions(
            self._s.models, self._s.model_decisions, self._s.tenant(tenant)
        )

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
            # Counted from the newest version, serving or not: a candidate the gate kept
            # back is not retrained until more feedback arrives.
            stored = self._s.models.versions(tenant)
            newest = self._s.models.manifest(tenant, stored[-1]) if stored else None
            trained_on = newest.training.events if newest else None
            events = self._s.store.count_events(tenant)
            # A model that learned from erased users is replaced as soon as possible, so
            # its replacement serves whatever the gate says.
            erased = manifest is not None and manifest.erased_users_since > 0
            if not erased and not training.retrain_due(
                events, trained_on, min_new_events, min_growth
            ):
                continue
            try:
                self._train(
                    tenant,
                    must_replace="the serving version learned from erased users" if erased else "",
                )
            except Conflict:  # events, but none about items: nothing to learn from yet
                continue
            done.append(tenant)
        return done
