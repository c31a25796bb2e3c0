"""The scheduling and weekly-plan services the engine's `schedule` and `plans` areas use."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rapport.core.errors import NotFound
from rapport.core.llm import LLMGateway
from rapport.core.llm.consent import LlmAllowed, opted_in
from rapport.core.models import utcnow
from rapport.core.store.calendar import CalendarStore, PlanRow
from rapport.core.store.repository import Store
from rapport.services.plan.availability import AvailabilityBook
from rapport.services.plan.booking import Sessions
from rapport.services.plan.busy import BusyCalendar
from rapport.services.plan.calendar_export import calendar_ics
from rapport.services.plan.config import ScheduleConfig
from rapport.services.plan.reminders import LEAD, reminders_due
from rapport.services.plan.schemas import (
    Availability,
    AvailabilityRequest,
    BookRequest,
    BusyTime,
    CalendarImport,
    CalendarImportRequest,
    Plan,
    PlanEvent,
    PlanRequest,
    Preferences,
    Proposal,
    ProposeRequest,
    Reminder,
    SchedulePreferences,
    Session,
)
from rapport.services.plan.weekly import check_plan, monday_of, place_blocks, summary
from rapport.services.plan.wording import reworded

DEFAULT_GOAL = "your goals"


class Scheduler:
    """Availability, busy times, preferences, proposals, bookings, reminders, calendars."""

    def __init__(self, store: Store, config: ScheduleConfig | None = None) -> None:
        self.store = store
        self.config = config or ScheduleConfig()
        self.calendar = CalendarStore(store)
        self.availability = AvailabilityBook(store, self.calendar)
        self.busy_calendar = BusyCalendar(
            store, self.calendar, allow_private=self.config.calendar_private_urls
        )
        self.sessions_book = Sessions(store, self.calendar, self.availability, self.busy_calendar)

    def set_availability(
        self, tenant: str, item_id: str, request: AvailabilityRequest
    ) -> Availability:
        return self.availability.set(tenant, item_id, request)

    def get_availability(self, tenant: str, item_id: str) -> Availability:
        return self.availability.get(tenant, item_id)

    def providers(self, tenant: str) -> list[str]:
        """Items with availability: the ones a session can be booked with."""
        return self.calendar.providers(tenant)

    def preferences(self, tenant: str, user_id: str) -> Preferences:
        return self.sessions_book.preferences(tenant, user_id)

    def set_preferences(
        self, tenant: str, user_id: str, preferences: SchedulePreferences
    ) -> Preferences:
        return self.sessions_book.set_preferences(tenant, user_id, preferences)

    def import_calendar(
        self, tenant: str, user_id: str, request: CalendarImportRequest, at: datetime
    ) -> CalendarImport:
        return self.busy_calendar.import_calendar(tenant, user_id, request, at)

    def busy(self, tenant: str, user_id: str, start: datetime, end: datetime) -> list[BusyTime]:
        self.store.get_user(tenant, user_id)
        return self.busy_calendar.busy(tenant, user_id, start, end)

    def propose(self, tenant: str, user_id: str, request: ProposeRequest, at: datetime) -> Proposal:
        return self.sessions_book.propose(tenant, user_id, request, at)

    def book(self, tenant: str, user_id: str, request: BookRequest, at: datetime) -> Session:
        return self.sessions_book.book(tenant, user_id, request, at)

    def sessions(
        self,
        tenant: str,
        user_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        include_cancelled: bool = False,
    ) -> list[Session]:
        return self.sessions_book.sessions(
            tenant, user_id, start=start, end=end, include_cancelled=include_cancelled
        )

    def cancel(self, tenant: str, user_id: str, session_id: str) -> Session:
        return self.sessions_book.cancel(tenant, user_id, session_id)

    def reminders_due(self, tenant: str, at: datetime, lead: timedelta = LEAD) -> list[Reminder]:
        return reminders_due(self.store, self.calendar, tenant, at, lead)


def plan_from_row(row: PlanRow) -> Plan:
    request = row.request
    events = [PlanEvent.model_validate(e) for e in row.events]
    return Plan(
        id=row.id,
        user_id=row.user_id,
        week_of=date.fromisoformat(row.week_of),
        timezone=str(request.get("timezone", "UTC")),
        effort=request.get("effort", "medium"),
        hours=round(sum((e.end - e.start for e in events), timedelta()) / timedelta(hours=1), 4),
        requested_hours=float(request.get("hours", 0.0)),
        events=events,
        summary=row.summary,
        mode=request.get("mode", "rules"),
        created_at=row.created_at,
    )


class WeeklyPlanner:
    """Weekly plans: make (and store), list, export."""

    def __init__(
        self,
        scheduler: Scheduler,
        gateway: LLMGateway | None = None,
        llm_allowed: LlmAllowed = opted_in,
    ) -> None:
        self.scheduler = scheduler
        self.gateway = gateway
        self.llm_allowed = llm_allowed
        self.store = scheduler.store
        self.calendar = scheduler.calendar

    def make(self, tenant: str, user_id: str, request: PlanRequest, at: datetime) -> Plan:
        user = self.store.get_user(tenant, user_id)
        check_plan(request)
        zone = ZoneInfo(user.timezone)
        prefs = self.scheduler.sessions_book._preferences(tenant, user)
        week = monday_of(request.week_of)
        # The whole local week plus a day each side: events across midnight still count.
        start = datetime.combine(week - timedelta(days=1), datetime.min.time(), tzinfo=zone)
        end = start + timedelta(days=9)
        taken = self.scheduler.sessions_book.taken(tenant, user_id, start, end)
        taken += [(b.start, b.end) for b in request.busy]
        goals = (
            [g for g in request.goals if g.strip()] or list(user.profile.goals) or [DEFAULT_GOAL]
        )
        events = place_blocks(week, zone, prefs, request, goals, taken, at)
        in_week = [t for t in taken if t[0] < end and t[1] > start]
        text = summary(events, request, goals, len(in_week))
        mode = "rules"
        if self.gateway is not None and self.gateway.available and self.llm_allowed(tenant, user):
            better = reworded(self.gateway, events, text, zone)
            if better is not None:
                events, text, mode = better[0], better[1], "llm"
        row = PlanRow(
            id=self.calendar.new_plan_id(),
            user_id=user_id,
            week_of=week.isoformat(),
            request={**request.model_dump(mode="json"), "timezone": user.timezone, "mode": mode},
            events=[e.model_dump(mode="json") for e in events],
            summary=text,
            created_at=utcnow(),
        )
        self.calendar.add_plan(tenant, row)
        return plan_from_row(row)

    def list(
        self, tenant: str, user_id: str, *, week_of: date | None = None, limit: int = 50
    ) -> list[Plan]:
        self.store.get_user(tenant, user_id)
        week = monday_of(week_of).isoformat() if week_of else None
        return [
            plan_from_row(r)
            for r in self.calendar.plans(tenant, user_id, week_of=week, limit=limit)
        ]

    def get(self, tenant: str, user_id: str, plan_id: str) -> Plan:
        for plan in self.list(tenant, user_id, limit=1000):
            if plan.id == plan_id:
                return plan
        raise NotFound("plan", plan_id)

    def ics(self, plan: Plan) -> str:
        """One plan as iCalendar."""
        return calendar_ics(
            f"Plan for the week of {plan.week_of}",
            [],
            [(plan.id, e) for e in plan.events],
            plan.created_at,
        )

    def calendar_ics(self, tenant: str, user_id: str, at: datetime) -> str:
        """The user's sessions (booked and cancelled, so subscribers drop cancelled ones)
        and the newest plan of each week."""
        sessions = self.scheduler.sessions(tenant, user_id, include_cancelled=True)
        newest: dict[date, Plan] = {}
        for plan in self.list(tenant, user_id, limit=200):  # newest first
            newest.setdefault(plan.week_of, plan)
        blocks = [
            (plan.id, event)
            for plan in sorted(newest.values(), key=lambda p: p.week_of)
            for event in plan.events
        ]
        return calendar_ics(f"rapport: {user_id}", sessions, blocks, at)
