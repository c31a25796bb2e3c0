"""Slot proposal: every start on a half-hour grid inside the provider's windows that is
free for both sides and inside the user's waking hours, scored by the user's preferences
(part of day, weekday) and nearness, then picked best first with one slot per day before a
second one on the same day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rapport.services.plan.schemas import SchedulePreferences, Slot
from rapport.services.plan.times import (
    WEEKDAYS,
    Interval,
    free_of,
    parse_clock,
    part_of_day,
)

STEP = timedelta(minutes=30)
"""Grid of proposed starts, counted from each window's start."""


@dataclass(frozen=True)
class Side:
    """What one proposal is made from."""

    user_zone: ZoneInfo
    provider_zone: ZoneInfo
    provider_name: str
    preferences: SchedulePreferences
    windows: list[Interval]
    """The provider's availability, UTC."""
    user_taken: list[Interval]
    """The user's busy times and booked sessions."""
    provider_taken: list[Interval]
    """The provider's booked sessions."""
    calendar_events: int
    """How many busy times the user's calendar has in the range (for the reason text)."""


def within_waking(start: datetime, end: datetime, zone: ZoneInfo, p: SchedulePreferences) -> bool:
    """Whether [start, end) lies on one local day between the waking start and end."""
    here, there = start.astimezone(zone), end.astimezone(zone)
    first = parse_clock(p.waking_start)
    last = parse_clock(p.waking_end)
    last_minutes = last[0] * 60 + last[1]
    end_minutes = there.hour * 60 + there.minute + (24 * 60 if there.date() > here.date() else 0)
    return (here.hour, here.minute) >= first and end_minutes <= last_minutes


def score_slot(start: datetime, end: datetime, origin: datetime, side: Side) -> Slot:
    p = side.preferences
    here = start.astimezone(side.user_zone)
    part = part_of_day(here)
    day = WEEKDAYS[here.weekday()]
    score = 1.0
    liked = []
    if p.time_of_day and part in p.time_of_day:
        score += 1.0
        liked.append("time")
    if p.weekdays and here.weekday() in p.weekdays:
        score += 0.5
        liked.append("day")
    when = f"{day} {part}" if part else day
    if liked:
        when += ", your preferred " + " and ".join(liked)
    # Sooner is slightly better: a day later costs less than any preference is worth.
    score -= 0.02 * ((start - origin) / timedelta(days=1))
    provider_here = start.astimezone(side.provider_zone)
    reasons = [
        when,
        f"{side.provider_name} free ({provider_here:%H:%M} {side.provider_zone.key})",
        "no calendar conflict" if side.calendar_events else "nothing else booked then",
    ]
    return Slot(
        start=start,
        end=end,
        local_start=here.isoformat(),
        provider_start=provider_here.isoformat(),
        score=round(score, 4),
        reasons=reasons,
    )


def candidates(side: Side, origin: datetime, limit: datetime, duration: timedelta) -> list[Slot]:
    found: list[Slot] = []
    taken = side.user_taken + side.provider_taken
    for window_start, window_end in side.windows:
        start = window_start
        while start + duration <= window_end:
            end = start + duration
            if (
                start >= origin
                and end <= limit
                and within_waking(start, end, side.user_zone, side.preferences)
                and free_of((start, end), taken)
            ):
                found.append(score_slot(start, end, origin, side))
            start += STEP
    return found


SAME_DAY = 0.5
"""Score a slot loses for each slot already picked on its day: spread before stacking."""


def pick(found: list[Slot], count: int, zone: ZoneInfo) -> list[Slot]:
    """The best `count` slots that do not overlap, greedily, each scored after the penalty
    for slots already picked on its local day (so the list stays ordered by score)."""
    chosen: list[Slot] = []
    per_day: dict[date, int] = {}
    left = sorted(found, key=lambda s: (-s.score, s.start))
    while left and len(chosen) < count:
        best: tuple[float, Slot] | None = None
        for slot in left:
            adjusted = slot.score - SAME_DAY * per_day.get(slot.start.astimezone(zone).date(), 0)
            if best is None or adjusted > best[0] + 1e-9:
                best = (adjusted, slot)
        assert best is not None
        adjusted, slot = best
        chosen.append(slot.model_copy(update={"score": round(adjusted, 4)}))
        day = slot.start.astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + 1
        left = [s for s in left if not (s.start < slot.end and slot.start < s.end)]
    return chosen


def propose_slots(
    side: Side, origin: datetime, limit: datetime, duration: timedelta, count: int
) -> list[Slot]:
    return pick(candidates(side, origin, limit, duration), count, side.user_zone)
