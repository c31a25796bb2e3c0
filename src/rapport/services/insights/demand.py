"""Demand per item, category, area, kind, hour of day or weekday, from item events.

Demand is the weighted count of events that show someone wants an item (`demand_weights`:
a purchase or enrolment 1, a like or save 0.5, a click 0.1, a view 0.05; dismissals and
dislikes are not demand). Hours and weekdays are local to the request's time zone (or the
`[insights]` one). An item's area is its named area attribute, else its grid cell, else
`online` (see `data.area_of`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from rapport.core.models import Event, Item, Schema
from rapport.services.insights.data import Window, distance_km
from rapport.services.insights.requests import DemandRequest, InsightRequest

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_RADIUS_KM = 2.0


class DemandRow(Schema):
    key: str
    """The group: item id, category, area, kind, hour (`0`-`23`) or weekday (`Mon`...)."""
    label: str
    """For people: the item's title, or the key."""
    demand: float
    """Weighted demand in the window."""
    events: dict[str, int]
    """Events per type."""
    users: int
    """Distinct users."""
    trend: float | None
    """Relative change of demand from the first to the second half of the window (None
    when the first half had none)."""


class Demand(Schema):
    """Demand grouped one way over a window."""

    by: str
    """What demand is grouped by."""
    at: datetime
    """End of the window (exclusive)."""
    since: datetime
    """Start of the window."""
    timezone: str
    """Time zone of hours and weekdays."""
    total: float
    """Demand of everything selected."""
    weights: dict[str, float]
    """Demand per event type used."""
    rows: list[DemandRow]
    """Busiest first (hours and weekdays in their order)."""


def selected(window: Window, request: InsightRequest) -> dict[str, Item]:
    """The items the request's filters keep."""
    radius = request.radius_km or DEFAULT_RADIUS_KM
    found = {}
    for item_id, item in window.items.items():
        if request.kind is not None and item.kind != request.kind:
            continue
        if request.category is not None and request.category not in item.categories:
            continue
        if request.area is not None and window.area(item) != request.area:
            continue
        if request.lat is not None and request.lon is not None:
            place = item.location
            if (
                place is None
                or distance_km(request.lat, request.lon, place.lat, place.lon) > radius
            ):
                continue
        found[item_id] = item
    return found


def demand_events(window: Window, items: dict[str, Item]) -> list[tuple[Event, float]]:
    """Events about `items` that carry demand, with their weight."""
    pairs = [(e, window.weight(e)) for e in window.events if e.item_id in items]
    return [(e, w) for e, w in pairs if w > 0]


def _keys(by: str, event: Event, item: Item, window: Window) -> list[str]:
    if by == "item":
        return [item.id]
    if by == "category":
        return list(item.categories) or ["(none)"]
    if by == "area":
        return [window.area(item)]
    if by == "kind":
        return [item.kind]
    local = window.local(event)
    return [str(local.hour)] if by == "hour" else [WEEKDAYS[local.weekday()]]


def demand(window: Window, request: DemandRequest, timezone: str) -> Demand:
    items = selected(window, request)
    middle = window.since + (window.at - window.since) / 2
    score: defaultdict[str, float] = defaultdict(float)
    halves: defaultdict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    users: defaultdict[str, set[str]] = defaultdict(set)
    total = 0.0
    for event, weight in demand_events(window, items):
        item = items[event.item_id or ""]
        total += weight
        for key in _keys(request.by, event, item, window):
            score[key] += weight
            halves[key][event.timestamp >= middle] += weight
            counts[key][event.type] += 1
            users[key].add(event.user_id)
    if request.by == "hour":
        keys = [str(h) for h in range(24)]
    elif request.by == "weekday":
        keys = list(WEEKDAYS)
    else:
        keys = sorted(score, key=lambda k: (-score[k], k))[: request.top]
    rows = [
        DemandRow(
            key=key,
            label=items[key].title or key if request.by == "item" else key,
            demand=round(score.get(key, 0.0), 4),
            events=dict(sorted(counts[key].items())),
            users=len(users[key]),
            trend=_trend(halves[key]) if key in halves else None,
        )
        for key in keys
    ]
    return Demand(
        by=request.by,
        at=window.at,
        since=window.since,
        timezone=timezone,
        total=round(total, 4),
        weights=dict(window.config.demand_weights),
        rows=rows,
    )


def _trend(halves: list[float]) -> float | None:
    first, second = halves
    return round(second / first - 1, 4) if first > 0 else None
