"""`engine.churn`: abandonment risk, a model trained on the tenant's own history."""

from __future__ import annotations

from datetime import datetime

from rapport.engine.moments import moment
from rapport.engine.services import Services
from rapport.services.engage.churn import AbandonmentRisk, ChurnManifest


class ChurnArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def train(
        self, at: datetime | str | float | None = None, *, tenant: str | None = None
    ) -> ChurnManifest:
        """Train the abandonment model on the tenant's events until `at` (default now),
        evaluated on a later time split of them; it serves at once. Conflict when the
        history is too short."""
        when = moment(at)
        return self._s.abandonment.train(self._s.tenant(tenant), when)

    def show(self, *, tenant: str | None = None) -> ChurnManifest:
        """The serving abandonment model: horizon, cut-offs, validation scores against the
        recency-frequency peer (NotFound before training)."""
        return self._s.abandonment.show(self._s.tenant(tenant))

    def risk(
        self, user_id: str, at: datetime | str | float | None = None, *, tenant: str | None = None
    ) -> AbandonmentRisk:
        """The chance that `user_id` does nothing in the model's horizon after `at` (default
        now), with the features that drove it. NotFound for an unknown user, Conflict
        before training. Cheap: the model is loaded once per tenant and version."""
        when = moment(at)
        return self._s.abandonment.risk(self._s.tenant(tenant), user_id, when)

    def risks(
        self,
        user_ids: list[str] | None = None,
        at: datetime | str | float | None = None,
        *,
        drivers: bool = True,
        tenant: str | None = None,
    ) -> list[AbandonmentRisk]:
        """`risk` of many users (default: everyone active by `at`) from one read of the
        tenant's events; unknown users and users without activity get `probability: None`.
        `drivers=False` skips the explanations. Conflict before training."""
        when = moment(at)
        return self._s.abandonment.risks(self._s.tenant(tenant), when, user_ids, drivers=drivers)

    def available(self, *, tenant: str | None = None) -> bool:
        """Whether the tenant has a trained abandonment model (check before `risk` to skip
        it quietly)."""
        return self._s.abandonment.available(self._s.tenant(tenant))

    def retrain(
        self,
        tenants: list[str] | None = None,
        at: datetime | str | float | None = None,
    ) -> list[str]:
        """Retrain the named tenants (default every tenant) whose history is long enough;
        returns those trained (the retrain job calls this with the tenants whose recommender
        it just retrained)."""
        names = [self._s.tenant(t) for t in tenants] if tenants is not None else None
        return self._s.abandonment.retrain(moment(at), names)
