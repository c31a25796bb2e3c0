"""`Abandonment`: trains, keeps and serves each tenant's abandonment model (see `churn`)."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from rapport.core.errors import Conflict, NotFound
from rapport.core.store.event_log import ActivityStore
from rapport.core.store.repository import Store
from rapport.services.engage.churn import (
    AbandonmentRisk,
    ChurnConfig,
    ChurnManifest,
    ChurnModels,
    train,
    user_row,
)
from rapport.services.engage.features import Sessions, features

TRAIN_HINT = "train one with `rapport churn train` or POST /churn/train"


class Abandonment:
    def __init__(self, store: Store, models: ChurnModels, config: ChurnConfig) -> None:
        self.store = store
        self.activity = ActivityStore(store)
        self.models = models
        self.config = config

    def train(self, tenant: str, at: datetime) -> ChurnManifest:
        """Train on the tenant's events until `at` and serve the new model at once. Conflict
        when the history is too short."""
        log = self.activity.log(tenant, until=at)
        if not len(log):
            raise Conflict(f"tenant '{tenant}' has no events before {at.isoformat()} to learn from")
        fitted = train(log, tenant, at, self.config)
        self.models.save(fitted)
        return fitted.manifest

    def show(self, tenant: str) -> ChurnManifest:
        manifest = self.models.manifest(tenant)
        if manifest is None:
            raise NotFound("abandonment model", tenant, TRAIN_HINT)
        return manifest

    def available(self, tenant: str) -> bool:
        """Whether the tenant has a trained abandonment model."""
        return self.models.current_version(tenant) is not None

    def risk(self, tenant: str, user_id: str, at: datetime) -> AbandonmentRisk:
        """The user's chance of no activity in the model's horizon after `at`, with the
        features that drove it. NotFound for an unknown user; Conflict before training."""
        self.store.get_user(tenant, user_id)  # NotFound names the user
        fitted = self.models.serving(tenant)
        if fitted is None:
            raise Conflict(f"tenant '{tenant}' has no abandonment model yet: {TRAIN_HINT}")
        manifest = fitted.manifest
        log = self.activity.log(tenant, until=at, user_id=user_id)
        row = user_row(log, 0, at.timestamp(), manifest.horizon_days) if len(log) else None
        if row is None:
            return AbandonmentRisk(
                user_id=user_id,
                at=at,
                probability=None,
                horizon_days=manifest.horizon_days,
                drivers=[],
                model_version=manifest.version,
            )
        probability = float(fitted.probabilities(row[np.newaxis, :])[0])
        return AbandonmentRisk(
            user_id=user_id,
            at=at,
            probability=round(probability, 6),
            horizon_days=manifest.horizon_days,
            drivers=fitted.drivers(row),
            model_version=manifest.version,
        )

    def risks(
        self,
        tenant: str,
        at: datetime,
        user_ids: list[str] | None = None,
        *,
        drivers: bool = True,
    ) -> list[AbandonmentRisk]:
        """`risk` of many users at once (default: every user with activity by `at`), from
        one read of the tenant's events: what a job scoring everyone calls. Unknown ids and
        users without activity by then get `probability: None`; without `drivers` it skips
        the explanations (about 1 ms a user)."""
        fitted = self.models.serving(tenant)
        if fitted is None:
            raise Conflict(f"tenant '{tenant}' has no abandonment model yet: {TRAIN_HINT}")
        manifest = fitted.manifest
        log = self.activity.log(tenant, until=at)
        users, x = features(
            log, Sessions.of(log), at.timestamp(), manifest.horizon_days, lookback=None
        )
        p = fitted.probabilities(x) if len(users) else np.zeros(0)
        row_of = {log.user_ids[u]: n for n, u in enumerate(users.tolist())}
        wanted = list(row_of) if user_ids is None else user_ids
        found = []
        for user_id in wanted:
            n = row_of.get(user_id)
            found.append(
                AbandonmentRisk(
                    user_id=user_id,
                    at=at,
                    probability=None if n is None else round(float(p[n]), 6),
                    horizon_days=manifest.horizon_days,
                    drivers=fitted.drivers(x[n]) if drivers and n is not None else [],
                    model_version=manifest.version,
                )
            )
        return found

    def retrain(self, at: datetime, tenants: list[str] | None = None) -> list[str]:
        """Retrain `tenants` (default all); returns those trained (those with too little
        history are skipped)."""
        done = []
        for tenant in self.store.tenants() if tenants is None else tenants:
            try:
                self.train(tenant, at)
            except Conflict:
                continue
            done.append(tenant)
        return done
