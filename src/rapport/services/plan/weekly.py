"""Weekly plans: a week of work blocks for the user's goals, in their time zone.

Effort sets the shape of the week (see `SHAPES`): block length, how many blocks a day may
hold and which days come first. The requested hours (to a quarter hour) are cut into blocks,
spread evenly over the preferred days, and each block takes the first free start of its day
in the user's preferred part of the day, inside waking hours, clear of busy times, booked
sessions, extra events, the past, and 30 minutes away from the day's other blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rapport.core.errors import FieldError, InvalidInput
from rapport.services.plan.schemas import Effort, PlanEvent, PlanRequest, SchedulePreferences
from rapport.services.plan.times import (
    PARTS_OF_DAY,
    WEEKDAYS,
    Interval,
    at_local,
    free_of,
    parse_clock,
)

GRID = timedelta(minutes=15)
GAP = timedelta(minutes=30)
"""Rest between two blocks of the same day."""
DEFAULT_START = "09:00"
"""Without a preferred part of the day, blocks start from here (earlier only if needed)."""


@dataclass(frozen=True)
class Shape:
    minutes: int
    """Block length."""
    per_day: int
    """Most blocks in one day."""
    days: tuple[int, ...]
    """Weekdays in order of use: the first ones get the blocks, the rest only overflow."""
    spread_over: int
    """How many of `days` the blocks are spread over before overflow."""
    verb: str


SHAPES: dict[Effort, Shape] = {
    # Light: short, frequent touches across the whole week.
    "low": Shape(30, 2, (0, 1, 2, 3, 4, 5, 6), 7, "Light session"),
    # Steady: hour-long sessions on weekdays, weekend only when the week is full.
    "medium": Shape(60, 2, (0, 1, 2, 3, 4, 5, 6), 5, "Work session"),
    # Intense: long focus blocks, up to three a day, Saturday included.
    "high": Shape(90, 3, (0, 1, 2, 3, 4, 5, 6), 6, "Deep work"),
}


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def block_lengths(hours: float, minutes: int) -> list[timedelta]:
    """The requested hours, rounded to the grid, cut into blocks of `minutes` (the last
    one shorter when needed)."""
    total = round(hours * 60 / 15) * 15
    lengths = [timedelta(minutes=minutes)] * (total // minutes)
    if total % minutes:
        lengths.append(timedelta(minutes=total % minutes))
    return lengths


def target_days(count: int, shape: Shape) -> list[int]:
    """An evenly spread weekday for each block: 3 blocks over 5 days -> Mon, Wed, Fri."""
    days = shape.days[: shape.spread_over]
    targets = []
    for k in range(count):
        rnd, within = divmod(k, len(days))
        per_round = min(len(days), count - rnd * len(days))
        spread = per_round < len(days)  # a last, partial round: spaced out over the days
        index = int((within + 0.5) * len(days) / per_round) if spread else within
        targets.append(days[min(index, len(days) - 1)])
    return targets


def _starts(day: date, zone: ZoneInfo, prefs: SchedulePreferences) -> list[datetime]:
    """Candidate starts of one local day, preferred part of the day first."""
    first, last = at_local(day, prefs.waking_start, zone), at_local(day, prefs.waking_end, zone)
    grid = []
    moment = first
    while moment < last:
        grid.append(moment)
        moment += GRID

    def rank(start: datetime) -> tuple[int, datetime]:
        here = start.astimezone(zone)
        if prefs.time_of_day:
            preferred = any(
                PARTS_OF_DAY[p][0] <= here.hour < PARTS_OF_DAY[p][1] for p in prefs.time_of_day
            )
            return (0 if preferred else 1, start)
        return (0 if (here.hour, here.minute) >= parse_clock(DEFAULT_START) else 1, start)

    return sorted(grid, key=rank)


def place_blocks(
    week: date,
    zone: ZoneInfo,
    prefs: SchedulePreferences,
    request: PlanRequest,
    goals: list[str],
    taken: list[Interval],
    at: datetime,
) -> list[PlanEvent]:
    shape = SHAPES[request.effort]
    lengths = block_lengths(request.hours, shape.minutes)
    targets = target_days(len(lengths), shape)
    days = [week + timedelta(days=n) for n in range(7)]
    placed: list[tuple[Interval, str, date]] = []
    # More blocks than the shape's days can hold: allow more per day rather than drop hours.
    per_day = max(shape.per_day, -(-len(lengths) // shape.spread_over))

    def fits(day: date, length: timedelta) -> Interval | None:
        same_day = [span for span, _, d in placed if d == day]
        if len(same_day) >= per_day:
            return None
        end_of_day = at_local(day, prefs.waking_end, zone)
        for start in _starts(day, zone, prefs):
            end = start + length
            if start < at or end > end_of_day:
                continue
            padded = [(s - GAP, e + GAP) for s, e in same_day]
            if free_of((start, end), taken) and free_of((start, end), padded):
                return (start, end)
        return None

    for n, (length, target) in enumerate(zip(lengths, targets, strict=True)):
        # The target day first, then the other days: the emptiest, then the nearest.
        order = sorted(
            range(7),
            key=lambda d: (
                d != target,
                d not in shape.days[: shape.spread_over],
                sum(1 for _, _, day in placed if day == days[d]),
                abs(d - target),
            ),
        )
        for d in order:
            span = fits(days[d], length)
            if span is not None:
                placed.append((span, goals[n % len(goals)], days[d]))
                break
    events = [
        PlanEvent(
            title=f"{shape.verb}: {goal}",
            start=start,
            end=end,
            goal=goal,
            effort=request.effort,
            local_start=start.astimezone(zone).isoformat(),
        )
        for (start, end), goal, _ in placed
    ]
    return sorted(events, key=lambda e: e.start)


def summary(
    events: list[PlanEvent], request: PlanRequest, goals: list[str], kept_clear: int
) -> str:
    hours = sum((e.end - e.start for e in events), timedelta()) / timedelta(hours=1)
    shape = SHAPES[request.effort]
    days = sorted({e.local_start[:10] for e in events})
    names = sorted(
        {WEEKDAYS[date.fromisoformat(d).weekday()][:3] for d in days},
        key=lambda n: [w[:3] for w in WEEKDAYS].index(n),
    )
    text = (
        f"{hours:g} hours in {len(events)} {shape.minutes}-minute blocks "
        f"({request.effort} effort) on {', '.join(names) or 'no day'}"
        f" for {'; '.join(goals)}"
    )
    if kept_clear:
        text += f", around {kept_clear} existing event{'s' if kept_clear != 1 else ''}"
    wanted = round(request.hours * 4) / 4
    if hours + 1e-9 < wanted:
        text += f"; only {hours:g} of {wanted:g} hours fit in your waking hours"
    return text + "."


def check_plan(request: PlanRequest) -> None:
    errors = [
        FieldError(record="request", field=f"busy.{n}.end", message="must be after start")
        for n, b in enumerate(request.busy)
        if b.end <= b.start
    ]
    if errors:
        raise InvalidInput(errors)
