"""Sessions: proposing conflict-free times, booking one (never twice the same time for the
user or the provider, also under concurrent requests), listing and cancelling."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rapport.core.errors import Conflict, FieldError, InvalidInput, NotFound
from rapport.core.models import Item, User, utcnow
from rapport.core.store.calendar import CalendarStore, SessionRow
from rapport.core.store.repository import Store
from rapport.services.plan.availability import AvailabilityBook
from rapport.services.plan.busy import BusyCalendar
from rapport.services.plan.proposal import Side, propose_slots
from rapport.services.plan.schemas import (
    BookRequest,
    Preferences,
    Proposal,
    ProposeRequest,
    SchedulePreferences,
    Session,
)
from rapport.services.plan.times import Interval, describe

DEFAULT_RANGE = timedelta(days=14)
MAX_RANGE = timedelta(days=92)


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput([FieldError(record="request", field=field, message=message)])


def provider_name(item: Item) -> str:
    return item.title or item.id


def as_session(row: SessionRow, zone: ZoneInfo) -> Session:
    return Session(
        id=row.id,
        user_id=row.user_id,
        item_id=row.item_id,
        title=row.title,
        start=row.starts_at,
        end=row.ends_at,
        local_start=row.starts_at.astimezone(zone).isoformat(),
        status=row.status,
        ai_scheduled=row.ai_scheduled,
        created_at=row.created_at,
    )


class Sessions:
    """Preferences, proposals, bookings."""

    def __init__(
        self,
        store: Store,
        calendar: CalendarStore,
        availability: AvailabilityBook,
        busy: BusyCalendar,
    ) -> None:
        self.store = store
        self.calendar = calendar
        self.availability = availability
        self.busy = busy

    # -- preferences ------------------------------------------------------------------------

    def preferences(self, tenant: str, user_id: str) -> Preferences:
        user = self.store.get_user(tenant, user_id)
        return Preferences(
            user_id=user_id, timezone=user.timezone, preferences=self._preferences(tenant, user)
        )

    def set_preferences(
        self, tenant: str, user_id: str, preferences: SchedulePreferences
    ) -> Preferences:
        self.store.get_user(tenant, user_id)
        start, end = preferences.waking_start, preferences.waking_end
        if end <= start:
            raise _bad("waking_end", "must be after waking_start")
        self.calendar.set_preferences(tenant, user_id, preferences.model_dump())
        return self.preferences(tenant, user_id)

    def _preferences(self, tenant: str, user: User) -> SchedulePreferences:
        stored = self.calendar.preferences(tenant, user.id)
        return SchedulePreferences.model_validate(stored or {})

    # -- proposals --------------------------------------------------------------------------

    def propose(self, tenant: str, user_id: str, request: ProposeRequest, at: datetime) -> Proposal:
        user = self.store.get_user(tenant, user_id)
        item = self.store.get_item(tenant, request.item_id)
        prefs = self._preferences(tenant, user)
        origin = request.from_ or at
        limit = request.to or origin + DEFAULT_RANGE
        if limit <= origin:
            raise _bad("to", "must be after from")
        if limit - origin > MAX_RANGE:
            raise _bad("to", f"the range may span at most {MAX_RANGE.days} days")
        duration = timedelta(minutes=request.duration or prefs.session_minutes)
        availability = self.availability.get(tenant, item.id)
        windows = self.availability.windows(tenant, item.id, origin, limit)
        busy = self.busy.busy(tenant, user_id, origin, limit)
        mine = self.calendar.overlapping_sessions(None, tenant, origin, limit, user_id=user_id)
        theirs = self.calendar.overlapping_sessions(None, tenant, origin, limit, item_id=item.id)
        side = Side(
            user_zone=ZoneInfo(user.timezone),
            provider_zone=ZoneInfo(availability.timezone),
            provider_name=provider_name(item),
            preferences=prefs,
            windows=windows,
            user_taken=[(b.start, b.end) for b in busy] + [(s.starts_at, s.ends_at) for s in mine],
            provider_taken=[(s.starts_at, s.ends_at) for s in theirs],
            calendar_events=len(busy),
        )
        slots = propose_slots(side, origin, limit, duration, request.count)
        notes = []
        if not availability.weekly and not availability.one_off:
            notes.append(f"{provider_name(item)} has no availability set")
        elif len(slots) < request.count:
            notes.append(
                f"only {len(slots)} free slot(s) of {int(duration.total_seconds() // 60)} "
                f"minutes inside {provider_name(item)}'s availability and your waking hours "
                f"({prefs.waking_start}-{prefs.waking_end} {user.timezone}) in this range"
            )
        return Proposal(
            user_id=user_id,
            item_id=item.id,
            timezone=user.timezone,
            provider_timezone=availability.timezone,
            duration=int(duration.total_seconds() // 60),
            slots=slots,
            notes=notes,
        )

    # -- booking ----------------------------------------------------------------------------

    def book(self, tenant: str, user_id: str, request: BookRequest, at: datetime) -> Session:
        user = self.store.get_user(tenant, user_id)
        prefs = self._preferences(tenant, user)
        item = self.store.get_item(tenant, request.item_id) if request.item_id else None
        start = request.start
        end = start + timedelta(minutes=request.duration or prefs.session_minutes)
        if start < at:
            raise _bad("start", "must not be in the past")
        if item is not None:
            availability = self.availability.get(tenant, item.id)
            if availability.weekly or availability.one_off:
                windows = self.availability.windows(tenant, item.id, start, end)
                if not any(w[0] <= start and end <= w[1] for w in windows):
                    raise Conflict(
                        f"{provider_name(item)} is not available "
                        f"{describe(start, ZoneInfo(availability.timezone))} "
                        f"({availability.timezone}) for that long"
                    )
        zone = ZoneInfo(user.timezone)
        for busy in self.busy.busy(tenant, user_id, start, end):
            raise Conflict(
                f"that time overlaps '{busy.summary or 'busy'}' in your calendar "
                f"({describe(busy.start, zone)})"
            )
        title = request.title or (f"Session with {provider_name(item)}" if item else "Session")
        row = SessionRow(
            id=self.calendar.new_session_id(),
            user_id=user_id,
            item_id=item.id if item else None,
            title=title,
            starts_at=start,
            ends_at=end,
            status="booked",
            ai_scheduled=request.ai_scheduled,
            created_at=utcnow(),
        )
        with self.calendar.booking(tenant) as conn:
            clashes = self.calendar.overlapping_sessions(
                conn, tenant, start, end, user_id=user_id, item_id=row.item_id
            )
            if clashes:
                clash = clashes[0]
                whose = "you already have" if clash.user_id == user_id else "the provider has"
                raise Conflict(f"{whose} '{clash.title}' at {describe(clash.starts_at, zone)}")
            self.calendar.insert_session(conn, tenant, row)
        return as_session(row, zone)

    def sessions(
        self,
        tenant: str,
        user_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        include_cancelled: bool = False,
    ) -> list[Session]:
        user = self.store.get_user(tenant, user_id)
        rows = self.calendar.sessions(
            tenant,
            user_id=user_id,
            start=start,
            end=end,
            status=None if include_cancelled else "booked",
        )
        return [as_session(r, ZoneInfo(user.timezone)) for r in rows]

    def cancel(self, tenant: str, user_id: str, session_id: str) -> Session:
        user = self.store.get_user(tenant, user_id)
        found = self.calendar.session(tenant, session_id)
        if found.user_id != user_id:  # another user's session is not this user's to see
            raise NotFound("session", session_id)
        return as_session(self.calendar.cancel_session(tenant, session_id), ZoneInfo(user.timezone))

    def taken(self, tenant: str, user_id: str, start: datetime, end: datetime) -> list[Interval]:
        """The user's busy times and booked sessions in [start, end)."""
        busy = self.busy.busy(tenant, user_id, start, end)
        mine = self.calendar.overlapping_sessions(None, tenant, start, end, user_id=user_id)
        return [(b.start, b.end) for b in busy] + [(s.starts_at, s.ends_at) for s in mine]
