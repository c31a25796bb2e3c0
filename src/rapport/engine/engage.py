"""`engine.engage`: engagement scores, the nudges due at a moment, and the user context that
can make "something strong near you now" due (docs/engage.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from rapport.core.errors import InvalidInput, field_errors
from rapport.engine.moments import moment
from rapport.engine.services import Services
from rapport.services.engage.context import ContextResult, ContextUpdate
from rapport.services.engage.dispatch import DispatchReport
from rapport.services.engage.nudges import Nudge, NudgePlan
from rapport.services.engage.scores import UserScores


class EngageArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def scores(
        self, user_id: str, at: datetime | str | None = None, *, tenant: str | None = None
    ) -> UserScores:
        """Engagement (7 days), learning velocity, motivation (engagement's trend) and,
        once the tenant's abandonment model is trained, abandonment risk of one user at `at`
        (default now), each with the features that drove it."""
        when = moment(at)
        tenant = self._s.tenant(tenant)
        scores = self._s.engage.scores(tenant, user_id, when)
        if not self._s.abandonment.available(tenant):
            return scores
        risk = self._s.abandonment.risk(tenant, user_id, when)
        return scores.model_copy(
            update={"abandonment_risk": risk.probability, "abandonment_drivers": risk.drivers}
        )

    def nudges(
        self,
        at: datetime | str | None = None,
        user_id: str | None = None,
        *,
        tenant: str | None = None,
    ) -> list[Nudge]:
        """The nudges due at `at` (default now), for every user or one: trigger, priority,
        message, send time and channel, once per user, trigger and period."""
        return self.plan(at, user_id, tenant=tenant).nudges

    def plan(
        self,
        at: datetime | str | None = None,
        user_id: str | None = None,
        *,
        tenant: str | None = None,
    ) -> NudgePlan:
        """The nudges due at `at` and those held back (caps, quiet hours, periods already
        sent, consent, crisis), with the reason."""
        when = moment(at)
        tenant = self._s.tenant(tenant)
        if user_id is not None:
            self._s.store.get_user(tenant, user_id)  # an unknown user is a 404, not []
        users = None if user_id is None else [user_id]
        return self._s.engage.due(tenant, when, users)

    def dispatch(
        self,
        at: datetime | str | None = None,
        *,
        tenant: str | None = None,
        plan_nudges: bool = True,
    ) -> DispatchReport:
        """Queue the nudges and reminders due at `at` (default now) in the outbox (once per
        user, trigger and period), cancel queued nudges whose trigger no longer holds, and
        deliver what is due: the delivery job's pass. `plan_nudges=False` leaves out judging
        every user's triggers (the job does that every `plan_interval` only)."""
        when = moment(at)
        return self._s.dispatcher.run(self._s.tenant(tenant), when, plan_nudges)

    def still_due(
        self,
        user_id: str,
        trigger: str,
        period: str,
        at: datetime | str | None = None,
        *,
        tenant: str | None = None,
    ) -> bool:
        """Whether a queued nudge's trigger still holds for its period at `at` (the user
        has not come back, the milestone is still ahead, it is not quiet hours for a
        near-now nudge): delivery asks this before sending. Consent and crisis count."""
        when = moment(at)
        tenant = self._s.tenant(tenant)
        plan = self._s.engage.due(tenant, when, [user_id], only=[trigger], check=True)
        return any(n.trigger == trigger and n.period == period for n in plan.nudges)

    def context(
        self,
        user_id: str,
        lat: float | None = None,
        lon: float | None = None,
        context: dict[str, Any] | None = None,
        at: datetime | str | None = None,
        *,
        tenant: str | None = None,
    ) -> ContextResult:
        """Store where the user is now; returns the "something strong near you now" nudge
        when one is due."""
        try:
            update = ContextUpdate(lat=lat, lon=lon, context=context or {}, at=at)
        except ValidationError as exc:
            raise _invalid(exc) from exc
        return self.update_context(user_id, update, tenant=tenant)

    def update_context(
        self, user_id: str, update: ContextUpdate, *, tenant: str | None = None
    ) -> ContextResult:
        """`context` with the request as one object (what REST sends)."""
        return self._s.engage_context.update(self._s.tenant(tenant), user_id, update)


def _invalid(exc: ValidationError) -> InvalidInput:
    return InvalidInput(field_errors("request", exc, whole="(request)"))
