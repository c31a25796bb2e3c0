"""Peak hours and the best time slots for an event or a promotion near a place: demand by
hour x weekday (local time) of the items there, over the 168 hours of a week."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from rapport.core.models import Schema
from rapport.services.insights.data import Window
from rapport.services.insights.demand import WEEKDAYS, demand_events, selected
from rapport.services.insights.requests import PeaksRequest

HOURS_PER_WEEK = 168


class HourDemand(Schema):
    hour: int
    """Local hour of day (0-23)."""
    demand: float
    """Weighted demand in that hour over the window."""


class PeakSlot(Schema):
    weekday: str
    """Local weekday the slot starts on."""
    start: str
    """Local start time, `HH:00`."""
    end: str
    """Local end time, `HH:00` (may be on the next day)."""
    demand: float
    """Weighted demand seen in this slot over the window."""
    share: float
    """Its share of the week's demand."""
    reason: str
    """Why this slot, in words."""


class Peaks(Schema):
    """When the people interested in the selected items are active."""

    at: datetime
    """End of the window (exclusive)."""
    since: datetime
    """Start of the window."""
    timezone: str
    """Time zone of hours and weekdays."""
    items: int
    """Items selected (by place, area, category, kind)."""
    events: int
    """Demand events about them in the window."""
    total: float
    """Weighted demand of the selected items in the window."""
    by_hour: list[float]
    """Demand per local hour of day, 0 to 23."""
    by_weekday: dict[str, float]
    """Demand per local weekday."""
    peak_hours: list[HourDemand]
    """The three busiest hours of the day."""
    best_slots: list[PeakSlot]
    """The busiest non-overlapping slots of `duration_hours`, best first."""


def peaks(window: Window, request: PeaksRequest, timezone: str) -> Peaks:
    items = selected(window, request)
    week = np.zeros(HOURS_PER_WEEK)
    pairs = demand_events(window, items)
    for event, weight in pairs:
        local = window.local(event)
        week[local.weekday() * 24 + local.hour] += weight
    total = float(week.sum())
    grid = week.reshape(7, 24)
    by_hour = grid.sum(axis=0)
    hours_ranked = sorted(range(24), key=lambda h: (-by_hour[h], h))[:3]
    # Slot sums over the circular week (a slot may run past midnight into the next day).
    length = request.duration_hours
    sums = np.array([week[np.arange(s, s + length) % HOURS_PER_WEEK].sum() for s in range(168)])
    slots: list[PeakSlot] = []
    taken = np.zeros(HOURS_PER_WEEK, dtype=bool)
    for start in sorted(range(HOURS_PER_WEEK), key=lambda s: (-sums[s], s)):
        if len(slots) >= request.top or sums[start] <= 0:
            break
        span = np.arange(start, start + length) % HOURS_PER_WEEK
        if taken[span].any():
            continue
        taken[span] = True
        day, hour = divmod(start, 24)
        share = float(sums[start]) / total
        slots.append(
            PeakSlot(
                weekday=WEEKDAYS[day],
                start=f"{hour:02d}:00",
                end=f"{(hour + length) % 24:02d}:00",
                demand=round(float(sums[start]), 4),
                share=round(share, 4),
                reason=(
                    f"{share:.0%} of the week's demand for these items falls in these "
                    f"{length} hours ({length / HOURS_PER_WEEK:.0%} of the week)"
                ),
            )
        )
    return Peaks(
        at=window.at,
        since=window.since,
        timezone=timezone,
        items=len(items),
        events=len(pairs),
        total=round(total, 4),
        by_hour=[round(float(v), 4) for v in by_hour],
        by_weekday={WEEKDAYS[d]: round(float(grid[d].sum()), 4) for d in range(7)},
        peak_hours=[
            HourDemand(hour=h, demand=round(float(by_hour[h]), 4))
            for h in hours_ranked
            if by_hour[h] > 0
        ],
        best_slots=slots,
    )
