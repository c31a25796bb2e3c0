"""Provider availability: weekly wall-clock windows in the provider's zone plus one-off
windows, stored per item and expanded into UTC intervals for any range."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rapport.core.errors import FieldError, InvalidInput
from rapport.core.store.calendar import CalendarStore, WindowRow
from rapport.core.store.repository import Store
from rapport.services.plan.schemas import (
    Availability,
    AvailabilityRequest,
    OneOffWindow,
    WeeklyWindow,
)
from rapport.services.plan.times import Interval, at_local, clip, local_days, merge, parse_clock


def check_availability(request: AvailabilityRequest) -> None:
    """Every window must end after it starts (field named in the error)."""
    errors = [
        FieldError(record="request", field=f"weekly.{n}.end", message="must be after start")
        for n, w in enumerate(request.weekly)
        if parse_clock(w.end) <= parse_clock(w.start)
    ] + [
        FieldError(record="request", field=f"one_off.{n}.end", message="must be after start")
        for n, w in enumerate(request.one_off)
        if w.end <= w.start
    ]
    if errors:
        raise InvalidInput(errors)


class AvailabilityBook:
    """Reads and writes providers' availability."""

    def __init__(self, store: Store, calendar: CalendarStore) -> None:
        self.store = store
        self.calendar = calendar

    def set(self, tenant: str, item_id: str, request: AvailabilityRequest) -> Availability:
        self.store.get_item(tenant, item_id)  # 404 for an unknown item
        check_availability(request)
        rows = [
            WindowRow(
                weekday=w.weekday,
                start_time=w.start,
                end_time=w.end,
                timezone=request.timezone,
                starts_at=None,
                ends_at=None,
            )
            for w in request.weekly
        ] + [
            WindowRow(
                weekday=None,
                start_time=None,
                end_time=None,
                timezone=request.timezone,
                starts_at=w.start,
                ends_at=w.end,
            )
            for w in request.one_off
        ]
        self.calendar.replace_availability(tenant, item_id, rows)
        return self.get(tenant, item_id)

    def get(self, tenant: str, item_id: str) -> Availability:
        self.store.get_item(tenant, item_id)
        rows = self.calendar.availability(tenant, item_id)
        return Availability(
            item_id=item_id,
            timezone=rows[0].timezone if rows else "UTC",
            weekly=[
                WeeklyWindow(weekday=r.weekday, start=r.start_time or "", end=r.end_time or "")
                for r in rows
                if r.weekday is not None
            ],
            one_off=[
                OneOffWindow(start=r.starts_at, end=r.ends_at)
                for r in rows
                if r.weekday is None and r.starts_at is not None and r.ends_at is not None
            ],
        )

    def windows(self, tenant: str, item_id: str, start: datetime, end: datetime) -> list[Interval]:
        """The provider's free windows within [start, end), as merged UTC intervals."""
        return expand(self.get(tenant, item_id), start, end)


def expand(availability: Availability, start: datetime, end: datetime) -> list[Interval]:
    """Weekly windows on every local date of the range (each date's own UTC offset, so DST
    weeks stay right) plus one-off windows, clipped to [start, end) and merged."""
    zone = ZoneInfo(availability.timezone)
    found: list[Interval] = []
    for day in local_days(start, end, zone):
        for w in availability.weekly:
            if w.weekday == day.weekday():
                found.append((at_local(day, w.start, zone), at_local(day, w.end, zone)))
    found += [(w.start, w.end) for w in availability.one_off]
    return merge(clip(found, start, end))
