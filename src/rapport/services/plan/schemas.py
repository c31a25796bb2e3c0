"""Requests and results of scheduling and weekly plans: one model per operation, shared by
the library, REST and CLI `--json`."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from rapport.core.models import Id, Schema, Strict, Text, Timestamp, TimeZone

TimeOfDay = Literal["morning", "afternoon", "evening"]
Effort = Literal["low", "medium", "high"]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def clock(value: str) -> str:
    """A local wall-clock time `HH:MM` (`24:00` ends a window at midnight)."""
    if not _CLOCK.match(value):
        raise ValueError(f"{value!r} is not a time of day HH:MM (00:00 to 24:00)")
    return value


# -- availability ---------------------------------------------------------------------------


class WeeklyWindow(Strict):
    """A window that repeats every week, in the provider's time zone."""

    weekday: int = Field(ge=0, le=6)
    """0 = Monday ... 6 = Sunday."""
    start: str
    """Local start, HH:MM."""
    end: str
    """Local end, HH:MM (after `start`; 24:00 for midnight)."""

    _clock = field_validator("start", "end")(clock)


class OneOffWindow(Strict):
    """A single extra window (absolute times)."""

    start: Timestamp
    """Start (ISO 8601; naive times are UTC)."""
    end: Timestamp
    """End, after `start`."""


class AvailabilityRequest(Strict):
    """When a mentor (or any provider item) can be booked."""

    timezone: TimeZone = "UTC"
    """The provider's IANA time zone; weekly windows are wall-clock times there."""
    weekly: list[WeeklyWindow] = Field(default_factory=list, max_length=200)
    """Windows that repeat every week."""
    one_off: list[OneOffWindow] = Field(default_factory=list, max_length=500)
    """Single extra windows."""


class Availability(Schema):
    """A provider's availability."""

    item_id: str
    """The provider item."""
    timezone: str
    """Its time zone."""
    weekly: list[WeeklyWindow]
    """Weekly windows."""
    one_off: list[OneOffWindow]
    """One-off windows."""


# -- preferences and busy times -------------------------------------------------------------


class SchedulePreferences(Strict):
    """When a user likes to meet and work."""

    time_of_day: list[TimeOfDay] = Field(default_factory=list)
    """Preferred parts of the day (morning 06-12, afternoon 12-17, evening 17-22, local)."""
    weekdays: list[int] = Field(default_factory=list)
    """Preferred weekdays, 0 = Monday."""
    session_minutes: int = Field(default=60, ge=15, le=480)
    """Default session length."""
    waking_start: str = "07:00"
    """Earliest local time for sessions and plan blocks."""
    waking_end: str = "22:00"
    """Latest local end time for sessions and plan blocks."""

    _clock = field_validator("waking_start", "waking_end")(clock)

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(not 0 <= d <= 6 for d in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return sorted(set(value))


class Preferences(Schema):
    """A user's scheduling preferences and time zone."""

    user_id: str
    """The user."""
    timezone: str
    """The user's time zone (from the user record)."""
    preferences: SchedulePreferences
    """The preferences (defaults when never set)."""


class BusyTime(Schema):
    """A time the user is not free."""

    id: str
    """Stable per calendar, event and occurrence."""
    start: datetime
    """Start (UTC)."""
    end: datetime
    """End (UTC)."""
    summary: str
    """The event's title."""
    source: str
    """The calendar it came from."""


class CalendarImportRequest(Strict):
    """A calendar to import as busy times: its text, or a URL to fetch it from."""

    ics: str | None = Field(default=None, max_length=5_000_000)
    """The iCalendar text (RFC 5545)."""
    url: str | None = Field(default=None, max_length=2000)
    """An http(s) URL to fetch the calendar from (fetched only when given)."""
    source: str | None = Field(default=None, max_length=256)
    """A name for this calendar; importing the same source again replaces its busy times
    (default: the URL, or `upload`)."""


class CalendarImport(Schema):
    """What an import stored."""

    user_id: str
    """The user."""
    source: str
    """The calendar's name; a later import of the same source replaces these."""
    imported: int
    """Busy times stored (recurring events expanded into occurrences)."""
    replaced: int
    """Busy times of the previous import of this source that were removed."""
    start: datetime
    """Occurrences are expanded from here..."""
    end: datetime
    """...to here."""
    busy: list[BusyTime]
    """The first 50 busy times stored."""


# -- proposals and sessions -----------------------------------------------------------------


class ProposeRequest(Strict):
    """Find times for a session with a provider."""

    model_config = ConfigDict(populate_by_name=True)

    item_id: Id
    """The mentor or other provider item."""
    from_: Timestamp | None = Field(default=None, alias="from")
    """Earliest start (default: `at`, i.e. now)."""
    to: Timestamp | None = None
    """Latest end (default: 14 days after `from`)."""
    duration: int | None = Field(default=None, ge=15, le=480)
    """Minutes (default: the user's session length, 60)."""
    count: int = Field(default=5, ge=1, le=50)
    """How many slots to propose."""


class Slot(Schema):
    """A proposed time, free for both sides."""

    start: datetime
    """Start (UTC)."""
    end: datetime
    """End (UTC)."""
    local_start: str
    """Start in the user's time zone, ISO 8601 with offset."""
    provider_start: str
    """Start in the provider's time zone."""
    score: float
    """Higher is better: preferences met, sooner, a day of its own."""
    reasons: list[str]
    """Why this time: preferences met, provider free, no calendar conflict."""


class Proposal(Schema):
    """Slots for one session, best first."""

    user_id: str
    """The user."""
    item_id: str
    """The provider item."""
    timezone: str
    """The user's time zone."""
    provider_timezone: str
    """The provider's time zone."""
    duration: int
    """Minutes."""
    slots: list[Slot]
    """Conflict-free slots, best first."""
    notes: list[str] = Field(default_factory=list)
    """Why there are fewer slots than asked for, when there are."""


class BookRequest(Strict):
    """Book a session."""

    item_id: Id | None = None
    """The provider item (None for a session without a provider)."""
    start: Timestamp
    """Start (ISO 8601 with offset; naive times are UTC)."""
    duration: int | None = Field(default=None, ge=15, le=480)
    """Minutes (default: the user's session length, 60)."""
    title: Text = Field(default="", max_length=300)
    """Shown in calendars and reminders (default: "Session with <provider>")."""
    ai_scheduled: bool = False
    """Set when the assistant books it."""


class Session(Schema):
    """A booked (or cancelled) session."""

    id: str
    """Unique per tenant."""
    user_id: str
    """Who it is for."""
    item_id: str | None
    """The provider item."""
    title: str
    """Shown in calendars and reminders."""
    start: datetime
    """Start (UTC)."""
    end: datetime
    """End (UTC)."""
    local_start: str
    """Start in the user's time zone."""
    status: Literal["booked", "cancelled"]
    """`booked` or `cancelled`."""
    ai_scheduled: bool
    """Booked by the assistant."""
    created_at: datetime
    """When it was booked."""


class Reminder(Schema):
    """A reminder message for a session, ready for the outbox."""

    user_id: str
    """Who receives it."""
    session_id: str
    """The session it reminds of."""
    kind: Literal["reminder"] = "reminder"
    """Outbox kind."""
    trigger: Literal["session_reminder"] = "session_reminder"
    """Outbox trigger."""
    period: str
    """The session id: one reminder per session (the outbox's idempotency key)."""
    send_at: datetime
    """When to send: the session's start minus the lead time."""
    subject: str
    """Short title."""
    body: str
    """The message, times in the user's time zone."""
    starts_at: datetime
    """The session's start (UTC)."""
    item_id: str | None = None
    """The provider the session is with."""

    def outbox_message(self) -> dict[str, Any]:
        """The message as the delivery outbox takes it (`Outbox.enqueue`): the session id
        is the period, so each session is reminded once."""
        payload: dict[str, Any] = {
            "session_id": self.session_id,
            "starts_at": self.starts_at.isoformat(),
        }
        if self.item_id:
            payload["item_id"] = self.item_id
        return {
            "user_id": self.user_id,
            "kind": self.kind,
            "trigger": self.trigger,
            "period": self.period,
            "subject": self.subject,
            "body": self.body,
            "send_at": self.send_at.isoformat(),
            "payload": payload,
        }


# -- weekly plans ---------------------------------------------------------------------------


class BusyWindow(Strict):
    """An extra event the plan must keep clear of."""

    start: Timestamp
    """Start."""
    end: Timestamp
    """End."""


class PlanRequest(Strict):
    """Make a week of work blocks."""

    week_of: date
    """Any day of the week to plan (the plan runs Monday to Sunday)."""
    hours: float = Field(gt=0, le=80)
    """Hours of work in the week."""
    effort: Effort = "medium"
    """low: short 30-minute blocks spread over the whole week; medium: 60-minute blocks on
    weekdays first; high: 90-minute focus blocks, up to three a day."""
    goals: list[Text] = Field(default_factory=list, max_length=20)
    """Goals or processes the blocks serve (default: the user's profile goals)."""
    busy: list[BusyWindow] = Field(default_factory=list, max_length=500)
    """Extra events to keep clear of, besides busy times and booked sessions."""

    @field_validator("week_of")
    @classmethod
    def _week(cls, value: date) -> date:
        if not 1970 <= value.year <= 9998:
            raise ValueError("must be a date between 1970 and 9998")
        return value


class PlanEvent(Schema):
    """One work block."""

    title: str
    """What to do."""
    start: datetime
    """Start (UTC)."""
    end: datetime
    """End (UTC)."""
    goal: str
    """The goal or process it serves."""
    effort: Effort
    """The plan's effort level."""
    local_start: str
    """Start in the user's time zone."""


class Plan(Schema):
    """A week of work blocks."""

    id: str
    """Unique per tenant."""
    user_id: str
    """The user."""
    week_of: date
    """The Monday the plan starts."""
    timezone: str
    """The user's time zone."""
    effort: Effort
    """The effort level."""
    hours: float
    """Hours planned (the sum of the blocks)."""
    requested_hours: float
    """Hours asked for."""
    events: list[PlanEvent]
    """The blocks, in time order."""
    summary: str
    """One sentence about the week."""
    mode: Literal["rules", "llm"] = "rules"
    """`llm` when the language model wrote the titles and the summary."""
    created_at: datetime
    """When it was made."""
