"""`engine.schedule`: provider availability, busy times (iCal import), scheduling
preferences, session proposals and bookings, reminders and the user's calendar export."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rapport.core.errors import InvalidInput, field_errors
from rapport.core.models import utcnow
from rapport.engine.services import Services, options
from rapport.services.plan.reminders import LEAD
from rapport.services.plan.schemas import (
    Availability,
    AvailabilityRequest,
    BookRequest,
    BusyTime,
    CalendarImport,
    CalendarImportRequest,
    Preferences,
    Proposal,
    ProposeRequest,
    Reminder,
    SchedulePreferences,
    Session,
)

M = TypeVar("M", bound=BaseModel)


def request_of(model: type[M], given: M | None, values: dict[str, Any]) -> M:
    """`options`, with keyword options that fail validation reported as bad input naming
    each field (as REST does)."""
    try:
        return options(model, given, values)
    except ValidationError as exc:
        raise InvalidInput(field_errors("request", exc)) from exc


class ScheduleArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def set_availability(
        self,
        item_id: str,
        request: AvailabilityRequest | None = None,
        *,
        tenant: str | None = None,
        **request_options: Any,
    ) -> Availability:
        """Replace a provider item's availability (`timezone`, `weekly`, `one_off`)."""
        request = request_of(AvailabilityRequest, request, request_options)
        return self._s.scheduler.set_availability(self._s.tenant(tenant), item_id, request)

    def availability(self, item_id: str, *, tenant: str | None = None) -> Availability:
        """A provider item's availability."""
        return self._s.scheduler.get_availability(self._s.tenant(tenant), item_id)

    def providers(self, *, tenant: str | None = None) -> list[str]:
        """Items that have availability."""
        return self._s.scheduler.providers(self._s.tenant(tenant))

    def preferences(self, user_id: str, *, tenant: str | None = None) -> Preferences:
        """The user's scheduling preferences (defaults when never set)."""
        return self._s.scheduler.preferences(self._s.tenant(tenant), user_id)

    def set_preferences(
        self,
        user_id: str,
        preferences: SchedulePreferences | None = None,
        *,
        tenant: str | None = None,
        **preference_options: Any,
    ) -> Preferences:
        """Replace the user's preferences (`time_of_day`, `weekdays`, `session_minutes`,
        `waking_start`, `waking_end`)."""
        preferences = request_of(SchedulePreferences, preferences, preference_options)
        return self._s.scheduler.set_preferences(self._s.tenant(tenant), user_id, preferences)

    def import_calendar(
        self,
        user_id: str,
        request: CalendarImportRequest | None = None,
        *,
        tenant: str | None = None,
        at: datetime | None = None,
        **request_options: Any,
    ) -> CalendarImport:
        """Store the busy times of an iCalendar text (`ics`) or URL (`url`, fetched now);
        re-importing the same `source` replaces them."""
        request = request_of(CalendarImportRequest, request, request_options)
        return self._s.scheduler.import_calendar(
            self._s.tenant(tenant), user_id, request, at or utcnow()
        )

    def busy(
        self,
        user_id: str,
        start: datetime,
        end: datetime,
        *,
        tenant: str | None = None,
    ) -> list[BusyTime]:
        """The user's busy times overlapping [start, end)."""
        return self._s.scheduler.busy(self._s.tenant(tenant), user_id, start, end)

    def propose(
        self,
        user_id: str,
        request: ProposeRequest | None = None,
        *,
        tenant: str | None = None,
        at: datetime | None = None,
        **request_options: Any,
    ) -> Proposal:
        """Conflict-free slots with a provider, best first, with reasons (`item_id`,
        `from_`/`from`, `to`, `duration`, `count`)."""
        request = request_of(ProposeRequest, request, request_options)
        return self._s.scheduler.propose(self._s.tenant(tenant), user_id, request, at or utcnow())

    def book(
        self,
        user_id: str,
        request: BookRequest | None = None,
        *,
        tenant: str | None = None,
        at: datetime | None = None,
        **request_options: Any,
    ) -> Session:
        """Book a session (`item_id`, `start`, `duration`, `title`, `ai_scheduled`);
        `Conflict` when the time is taken for either side or outside availability."""
        request = request_of(BookRequest, request, request_options)
        return self._s.scheduler.book(self._s.tenant(tenant), user_id, request, at or utcnow())

    def sessions(
        self,
        user_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        include_cancelled: bool = False,
        tenant: str | None = None,
    ) -> list[Session]:
        """The user's sessions, by start."""
        return self._s.scheduler.sessions(
            self._s.tenant(tenant),
            user_id,
            start=start,
            end=end,
            include_cancelled=include_cancelled,
        )

    def cancel(self, user_id: str, session_id: str, *, tenant: str | None = None) -> Session:
        """Cancel one of the user's sessions, and its reminder if it is still queued."""
        tenant = self._s.tenant(tenant)
        cancelled = self._s.scheduler.cancel(tenant, user_id, session_id)
        queued = self._s.outbox.find(tenant, user_id, "session_reminder", session_id)
        if queued is not None and queued.status == "pending":
            self._s.outbox.cancel(tenant, queued.id)
        return cancelled

    def reminders_due(
        self,
        *,
        at: datetime | None = None,
        lead: timedelta = LEAD,
        tenant: str | None = None,
    ) -> list[Reminder]:
        """Reminder messages due at `at` (start - lead <= at < start) for booked sessions,
        for the outbox (`period` = session id, so each is sent once)."""
        return self._s.scheduler.reminders_due(self._s.tenant(tenant), at or utcnow(), lead)

    def calendar_ics(
        self, user_id: str, *, tenant: str | None = None, at: datetime | None = None
    ) -> str:
        """The user's sessions and the newest plan of each week, as iCalendar text."""
        return self._s.planner.calendar_ics(self._s.tenant(tenant), user_id, at or utcnow())
