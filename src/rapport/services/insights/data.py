"""The events a business insight reads: item events of a time window with their items, each
event's demand weight, the item's area, and local times."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rapport.core.models import Event, Item
from rapport.core.store.repository import Store
from rapport.services.insights.config import BusinessInsightsConfig

ONLINE = "online"
"""The area of items without a place."""


def area_of(item: Item, config: BusinessInsightsConfig) -> str:
    """A named area attribute when the item has one, else the grid cell of its location
    (south-west corner, `cell:38.70,-9.16`), else `online`."""
    for key in config.area_attributes:
        value = item.attributes.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    if item.location is None:
        return ONLINE
    size = config.area_cell_deg
    lat = math.floor(item.location.lat / size) * size
    lon = math.floor(item.location.lon / size) * size
    return f"cell:{lat:.2f},{lon:.2f}"


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


@dataclass
class Window:
    """Item events in [since, at) with the tenant's items."""

    items: dict[str, Item]
    events: list[Event]
    """In time order, each naming an item of `items`."""
    since: datetime
    at: datetime
    zone: ZoneInfo
    config: BusinessInsightsConfig

    def weight(self, event: Event) -> float:
        return self.config.demand_weights.get(event.type, 0.0)

    def local(self, event: Event) -> datetime:
        return event.timestamp.astimezone(self.zone)

    def area(self, item: Item) -> str:
        return area_of(item, self.config)


def load_window(
    store: Store,
    tenant: str,
    at: datetime,
    days: int,
    zone: ZoneInfo,
    config: BusinessInsightsConfig,
) -> Window:
    since = at - timedelta(days=days)
    items = {item.id: item for item in store.all_items(tenant)}
    events = [
        e
        for e in store.list_events(tenant, since=since)
        if e.timestamp < at and e.item_id is not None and e.item_id in items
    ]
    return Window(items, events, since, at, zone, config)
