"""Wall-clock times in a zone and half-open UTC intervals: what availability, proposals and
plans share. Local times go through `zoneinfo`, so weeks across a DST change keep their
wall-clock windows (an 18:00 window stays 18:00 local, its UTC time moves)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]

PARTS_OF_DAY: dict[str, tuple[int, int]] = {
    "morning": (6, 12),
    "afternoon": (12, 17),
    "evening": (17, 22),
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_clock(value: str) -> tuple[int, int]:
    hours, minutes = value.split(":")
    return int(hours), int(minutes)


def at_local(day: date, clock: str, zone: ZoneInfo) -> datetime:
    """`clock` (HH:MM, 24:00 = next midnight) on `day` in `zone`, as UTC."""
    hours, minutes = parse_clock(clock)
    if hours == 24:
        moment = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    else:
        moment = datetime.combine(day, time(hours, minutes), tzinfo=zone)
    # A time inside a spring-forward gap does not exist: round-tripping through UTC moves
    # it to the real instant after the gap.
    return moment.astimezone(UTC)


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def local_days(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    """Every local date in `zone` that [start, end) touches."""
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def part_of_day(moment: datetime) -> str | None:
    """morning, afternoon or evening for a local time; None at night."""
    for name, (lo, hi) in PARTS_OF_DAY.items():
        if lo <= moment.hour < hi:
            return name
    return None


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def free_of(candidate: Interval, taken: Iterable[Interval]) -> bool:
    return not any(overlaps(candidate, t) for t in taken)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip(intervals: Sequence[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(s, start), min(e, end)) for s, e in intervals if s < end and e > start]


def describe(moment: datetime, zone: ZoneInfo) -> str:
    """ "Tuesday 24 Nov 18:00" in `zone`."""
    here = moment.astimezone(zone)
    return f"{WEEKDAYS[here.weekday()]} {here.day} {here:%b %H:%M}"
