"""Price suggestions per item, each saying which rule produced it and why.

Rules, from the strongest evidence to the weakest:

1. `conversion`: purchases / views at the price points seen. The item's own price points
   when it was sold at two or more prices with enough views each, else bands of its
   category's prices. The band with the best expected revenue per view (band price x
   smoothed conversion) wins when it beats the current band by 10% or more.
2. `demand_trend`: demand in the second half of the window against the first half
   (+-5% when it moved by more than 25%).
3. `competition`: the median price of items of the same kind with mostly the same categories
   (Jaccard overlap at least 0.5) within `competition_km`
   (+-5% when the item is 25% above or below it).
4. `discount_response`: conversion of discounted against full-price items of the category
   (a discount that does not lift conversion is cut back).
5. `fallback_sales_rule`: the seed's rule (over 50 sales -> +10%, else -10%), only when no
   rule above had enough data.

The change is bounded by `max_change`, and no suggestion goes below the floor (`[insights]`
`price_floor`, `category_floors`, per tenant).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

import numpy as np

from rapport.core.models import Event, Item, Schema
from rapport.services.insights.data import Window, distance_km
from rapport.services.insights.demand import selected
from rapport.services.insights.requests import PricesRequest

SMOOTHING = 10.0
"""Pseudo-views pulling a band's conversion towards its scope's overall conversion."""
BANDS = 4


class PriceSuggestion(Schema):
    item_id: str
    """The item."""
    title: str
    """Its title."""
    current_price: float
    """Its price now."""
    suggested_price: float
    """The price suggested (never below `floor`)."""
    change: float
    """Relative change (0.1 = +10%)."""
    rule: str
    """The rule that produced the suggestion (`conversion`, `demand_trend`, `competition`,
    `discount_response` or `fallback_sales_rule`)."""
    rules: list[str]
    """Every rule that had something to say."""
    reasons: list[str]
    """What each rule saw, in words."""
    floor: float
    """The lowest price allowed."""
    floored: bool
    """The suggestion was raised to the floor."""
    views: int
    """Views of the item in the window."""
    purchases: int
    """Purchases of the item in the window."""


class PriceSuggestions(Schema):
    at: datetime
    """End of the window (exclusive)."""
    since: datetime
    """Start of the window."""
    suggestions: list[PriceSuggestion]
    """Those backed by data first (the fallback rule's last), larger changes first."""


@dataclass
class _Funnel:
    """Views and purchases per price point."""

    views: Counter[float] = field(default_factory=Counter)
    purchases: Counter[float] = field(default_factory=Counter)

    def add(self, other: _Funnel) -> None:
        self.views.update(other.views)
        self.purchases.update(other.purchases)

    def totals(self) -> tuple[int, int]:
        return sum(self.views.values()), sum(self.purchases.values())


def _price_at(event: Event, item: Item) -> float | None:
    """The price the user saw: the event's `context.price`, a purchase's value, else the
    item's current price."""
    given = event.context.get("price")
    if isinstance(given, int | float) and not isinstance(given, bool) and given >= 0:
        return float(given)
    if event.type == "purchase" and event.value is not None and event.value > 0:
        return float(event.value)
    return item.price


def _funnels(window: Window) -> dict[str, _Funnel]:
    found: defaultdict[str, _Funnel] = defaultdict(_Funnel)
    for event in window.events:
        if event.type not in ("view", "purchase"):
            continue
        item = window.items[event.item_id or ""]
        price = _price_at(event, item)
        if price is None:
            continue
        funnel = found[item.id]
        (funnel.views if event.type == "view" else funnel.purchases)[round(price, 2)] += 1
    return found


@dataclass
class _Band:
    low: float
    high: float
    price: float
    views: int
    purchases: int


def _bands(funnel: _Funnel, edges: list[float] | None) -> list[_Band]:
    """Price points grouped into bands (each point its own band without `edges`)."""
    prices = sorted(set(funnel.views) | set(funnel.purchases))
    groups: defaultdict[int, list[float]] = defaultdict(list)
    for price in prices:
        groups[int(np.searchsorted(edges, price, side="right")) if edges else len(groups)].append(
            price
        )
    bands = []
    for members in groups.values():
        views = sum(funnel.views[p] for p in members)
        sold = sum(funnel.purchases[p] for p in members)
        weights = [funnel.views[p] + funnel.purchases[p] for p in members]
        point = float(np.average(members, weights=weights)) if sum(weights) else members[0]
        bands.append(_Band(min(members), max(members), round(point, 2), views, sold))
    return bands


def _conversion_rule(
    item: Item, own: _Funnel, category: _Funnel, min_views: int
) -> tuple[float, str] | None:
    price = float(item.price or 0)
    scope, bands = "its own price points", _bands(own, None)
    if sum(1 for b in bands if b.views >= min_views) < 2:
        points = sorted(p for p, n in category.views.items() for _ in range(n))
        if len(points) < 2 * min_views:
            return None
        edges = sorted(set(np.quantile(points, np.linspace(0, 1, BANDS + 1)[1:-1]).tolist()))
        scope, bands = "its category's price bands", _bands(category, edges)
    bands = [b for b in bands if b.views >= min_views]
    if len(bands) < 2:
        return None
    views = sum(b.views for b in bands)
    overall = sum(b.purchases for b in bands) / views

    def conversion(band: _Band) -> float:
        return (band.purchases + SMOOTHING * overall) / (band.views + SMOOTHING)

    current = min(bands, key=lambda b: (0 if b.low <= price <= b.high else 1, abs(b.price - price)))
    best = max(bands, key=lambda b: b.price * conversion(b))
    if best is current or best.price * conversion(best) < 1.1 * current.price * conversion(current):
        return None
    text = (
        f"conversion {conversion(best):.1%} at {_span(best)} against {conversion(current):.1%} "
        f"at {_span(current)} ({scope}, {best.views} and {current.views} views): more revenue "
        f"per view at {best.price:.2f}"
    )
    return best.price / price, text


def _span(band: _Band) -> str:
    return f"{band.low:.2f}" if band.low == band.high else f"{band.low:.2f}-{band.high:.2f}"


def _trend_rule(item: Item, window: Window, min_events: int) -> tuple[float, str] | None:
    middle = window.since + (window.at - window.since) / 2
    halves = [0.0, 0.0]
    count = 0
    for event in window.events:
        weight = window.weight(event)
        if event.item_id == item.id and weight > 0:
            halves[event.timestamp >= middle] += weight
            count += 1
    if count < min_events or halves[0] <= 0:
        return None
    change = halves[1] / halves[0] - 1
    if abs(change) <= 0.25:
        return None
    word = "up" if change > 0 else "down"
    return (1.05 if change > 0 else 0.95), f"demand {word} {abs(change):.0%} in the second half"


def _competition_rule(item: Item, window: Window, radius: float) -> tuple[float, str] | None:
    place, price = item.location, float(item.price or 0)
    if place is None:
        return None
    rivals = [
        float(other.price)
        for other in window.items.values()
        if other.id != item.id
        and other.price
        and other.location is not None
        and other.kind == item.kind
        and _overlap(other.categories, item.categories) >= 0.5
        and distance_km(place.lat, place.lon, other.location.lat, other.location.lon) <= radius
    ]
    if not rivals:
        return None
    middle = median(rivals)
    where = f"{len(rivals)} competing items within {radius:g} km (median {middle:.2f})"
    if price > 1.25 * middle:
        return 0.95, f"{price / middle - 1:.0%} above {where}"
    if price < 0.75 * middle:
        return 1.05, f"{1 - price / middle:.0%} below {where}"
    return None


def _overlap(a: list[str], b: list[str]) -> float:
    """Jaccard overlap of two category lists: a pastry is not a restaurant's competitor
    because both are food."""
    union = set(a) | set(b)
    return len(set(a) & set(b)) / len(union) if union else 0.0


def _discount_rule(
    item: Item, window: Window, funnels: dict[str, _Funnel], min_views: int
) -> tuple[float, str] | None:
    totals = {True: [0, 0], False: [0, 0]}
    for other in window.items.values():
        if not other.price or not set(other.categories) & set(item.categories):
            continue
        funnel = funnels.get(other.id)
        if funnel is None:
            continue
        discounted = bool(other.original_price and other.original_price > other.price)
        views, sold = funnel.totals()
        totals[discounted][0] += views
        totals[discounted][1] += sold
    (on_views, on_sold), (off_views, off_sold) = totals[True], totals[False]
    if min(on_views, off_views) < min_views or off_sold == 0:
        return None
    lift = (on_sold / on_views) / (off_sold / off_views)
    rates = f"{on_sold / on_views:.1%} discounted against {off_sold / off_views:.1%} full price"
    is_discounted = bool(item.original_price and item.price and item.original_price > item.price)
    if is_discounted and lift < 1.1:
        return 1.05, f"discounts barely lift conversion in this category ({rates})"
    if not is_discounted and lift >= 1.5:
        return 0.95, f"discounts lift conversion {lift:.1f}x in this category ({rates})"
    return None


def suggest_prices(window: Window, request: PricesRequest) -> PriceSuggestions:
    config = window.config
    items = selected(window, request)
    wanted = set(request.item_ids)
    funnels = _funnels(window)
    by_category: defaultdict[str, _Funnel] = defaultdict(_Funnel)
    for item_id, funnel in funnels.items():
        for category in window.items[item_id].categories:
            by_category[category].add(funnel)
    found = []
    for item in items.values():
        if not item.price or (wanted and item.id not in wanted):
            continue
        own = funnels.get(item.id, _Funnel())
        pooled = _Funnel()
        for name in item.categories:
            pooled.add(by_category[name])
        fired: list[tuple[str, tuple[float, str]]] = []
        for name, outcome in (
            ("conversion", _conversion_rule(item, own, pooled, config.min_band_views)),
            ("demand_trend", _trend_rule(item, window, config.min_item_events)),
            ("competition", _competition_rule(item, window, config.competition_km)),
            ("discount_response", _discount_rule(item, window, funnels, config.min_band_views)),
        ):
            if outcome is not None:
                fired.append((name, outcome))
        views, sold = own.totals()
        found.append(_suggestion(item, fired, views, sold, window, request))
    # Suggestions backed by data first, the fallback rule's last; larger changes first.
    found.sort(key=lambda s: (s.rule == "fallback_sales_rule", -abs(s.change), s.item_id))
    return PriceSuggestions(at=window.at, since=window.since, suggestions=found[: request.top])


def _suggestion(
    item: Item,
    fired: list[tuple[str, tuple[float, str]]],
    views: int,
    sold: int,
    window: Window,
    request: PricesRequest,
) -> PriceSuggestion:
    config = window.config
    price = float(item.price or 0)
    if fired:
        factor = float(np.prod([f for _, (f, _) in fired]))
        rule, reasons = fired[0][0], [text for _, (_, text) in fired]
    else:
        factor = 1.1 if sold > config.fallback_sales else 0.9
        rule = "fallback_sales_rule"
        reasons = [
            f"too little data to judge ({views} views, {sold} purchases in {request.days} "
            f"days): the fallback rule gives {'+10%' if factor > 1 else '-10%'} "
            f"({'over' if factor > 1 else 'not over'} {config.fallback_sales} sales)"
        ]
    factor = min(max(factor, 1 - config.max_change), 1 + config.max_change)
    suggested = round(price * factor, 2)
    floor = config.floor(item.categories)
    floored = suggested < floor
    if floored:
        suggested = round(floor, 2)
        reasons.append(f"raised to the floor of {floor:.2f}")
    return PriceSuggestion(
        item_id=item.id,
        title=item.title,
        current_price=price,
        suggested_price=suggested,
        change=round(suggested / price - 1, 4),
        rule=rule,
        rules=[name for name, _ in fired] or [rule],
        reasons=reasons,
        floor=floor,
        floored=floored,
        views=views,
        purchases=sold,
    )
