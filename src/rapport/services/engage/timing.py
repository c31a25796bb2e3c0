"""When a nudge goes out: quiet hours in the user's time zone, the best delivery hour learned
from the hours the user is active, and frequency caps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapport.core.models import Event
from rapport.services.engage.config import EngageConfig

HOUR_HISTORY = timedelta(days=60)
"""Events older than this do not decide the delivery hour (habits change)."""


def quiet(hour: int, config: EngageConfig) -> bool:
    """Whether a local hour is inside the quiet hours (which may span midnight)."""
    start, end = config.quiet_start, config.quiet_end
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def best_hour(
    events: Sequence[Event], at: datetime, zone: ZoneInfo, config: EngageConfig
) -> tuple[int, bool]:
    """The local hour the user is most often active at (outside quiet hours), and whether it
    was learned (False: too little history, the configured default hour).

    Counts per hour of the last 60 days are smoothed with half of each neighbouring hour, so
    a habit spread over 18:00-20:00 beats a single busy 07:00."""
    recent = [
        e.timestamp.astimezone(zone).hour
        for e in events
        if at - HOUR_HISTORY < e.timestamp <= at and e.type not in config.passive_types
    ]
    if len(recent) < config.min_events_for_hour:
        return config.default_hour, False
    counts = Counter(recent)
    allowed = [h for h in range(24) if not quiet(h, config)]
    if not allowed:
        return config.default_hour, False

    def weight(hour: int) -> tuple[float, int, int]:
        smoothed = counts[hour] + 0.5 * (counts[(hour - 1) % 24] + counts[(hour + 1) % 24])
        return (smoothed, counts[hour], -hour)  # ties: the raw count, then the earlier hour

    return max(allowed, key=weight), True


def send_time(
    at: datetime, zone: ZoneInfo, hour: int, urgent: bool, config: EngageConfig
) -> datetime:
    """When to deliver a nudge due at `at`: at once if urgent, otherwise at the next `hour`
    (local) from `at`; either way moved out of quiet hours to their end. UTC."""
    local = at.astimezone(zone)
    if urgent or local.hour == hour:
        chosen = local
    else:
        day = local.date() if local.hour < hour else local.date() + timedelta(days=1)
        chosen = datetime.combine(day, time(hour), tzinfo=zone)
    if quiet(chosen.hour, config):
        day = chosen.date()
        if chosen.hour >= config.quiet_end:  # quiet hours that started this evening
            day += timedelta(days=1)
        chosen = datetime.combine(day, time(config.quiet_end), tzinfo=zone)
    return chosen.astimezone(at.tzinfo)


class Caps:
    """Nudges one user may still get: at most `max_per_day` per local day and `max_per_week`
    within any 7 days, counting what the outbox already holds and what is planned now."""

    def __init__(self, zone: ZoneInfo, taken: Sequence[datetime], config: EngageConfig) -> None:
        self.zone = zone
        self.taken = list(taken)
        self.config = config

    def room(self, moment: datetime) -> str | None:
        """None when a nudge can go out at `moment`, else which cap is full."""
        day = moment.astimezone(self.zone).date()
        same_day = sum(1 for t in self.taken if t.astimezone(self.zone).date() == day)
        if same_day >= self.config.max_per_day:
            return f"daily cap of {self.config.max_per_day} reached"
        week = timedelta(days=7)
        near = sum(1 for t in self.taken if abs(t - moment) < week)
        if near >= self.config.max_per_week:
            return f"weekly cap of {self.config.max_per_week} reached"
        return None

    def take(self, moment: datetime) -> None:
        self.taken.append(moment)
