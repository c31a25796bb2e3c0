"""`engine.plans`: weekly plans of work blocks, stored and exported as iCalendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rapport.core.models import utcnow
from rapport.engine.schedule import request_of
from rapport.engine.services import Services
from rapport.services.plan.schemas import Plan, PlanRequest


class PlansArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def make(
        self,
        user_id: str,
        request: PlanRequest | None = None,
        *,
        tenant: str | None = None,
        at: datetime | None = None,
        **request_options: Any,
    ) -> Plan:
        """A week of work blocks (`week_of`, `hours`, `effort`, `goals`, `busy`), stored.
        Blocks before `at` are not planned."""
        request = request_of(PlanRequest, request, request_options)
        return self._s.planner.make(self._s.tenant(tenant), user_id, request, at or utcnow())

    def list(
        self,
        user_id: str,
        *,
        week_of: date | None = None,
        limit: int = 50,
        tenant: str | None = None,
    ) -> list[Plan]:
        """The user's plans, newest first (optionally of one week)."""
        return self._s.planner.list(self._s.tenant(tenant), user_id, week_of=week_of, limit=limit)

    def get(self, user_id: str, plan_id: str, *, tenant: str | None = None) -> Plan:
        """One plan."""
        return self._s.planner.get(self._s.tenant(tenant), user_id, plan_id)

    def ics(self, plan: Plan) -> str:
        """One plan as iCalendar text."""
        return self._s.planner.ics(plan)
