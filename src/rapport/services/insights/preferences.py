"""Preference insights per user (seed 002's /my_stats) and drift detection for re-profiling."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapport.core.components import ComponentConfig
from rapport.core.models import Event, Item, Schema, User
from rapport.core.signals import SignalWeights

# Attributes analysed when present; list-valued ones (cast) count each member.
ATTRIBUTE_KEYS = (
    "director",
    "directors",
    "cast",
    "actors",
    "author",
    "provider",
    "skills",
    "language",
    "languages",
)


class Share(Schema):
    value: str
    """The label, attribute value or decade."""
    score: float
    """Summed positive signal (negative signal subtracts)."""
    count: int
    """Interactions it appears in."""


class RatingStyle(Schema):
    count: int
    """Ratings given."""
    mean: float | None
    """Mean rating (None below 3 ratings)."""
    spread: float | None
    """Standard deviation of the ratings."""
    style: str
    """generous, harsh, balanced or unknown (fewer than 3 ratings)."""


class Drift(Schema):
    detected: bool
    """Recent preferences differ from earlier ones by more than the threshold."""
    score: float
    """Jensen-Shannon divergence (0-1) between recent and earlier category preferences."""
    recent: list[str]
    """Top categories of the newest events."""
    earlier: list[str]
    """Top categories before them (and stated interests)."""


class Insights(Schema):
    """What one user's history says about their tastes (seed 002's /my_stats)."""

    user_id: str
    """Whose history."""
    interactions: int
    """Events about items."""
    positives: int
    """Events with positive signal."""
    negatives: int
    """Events with negative signal."""
    categories: list[Share]
    """Favourite categories, strongest first."""
    tags: list[Share]
    """Favourite tags."""
    attributes: dict[str, list[Share]]
    """Favourites per attribute (director, cast, author, language...)."""
    decades: list[Share]
    """Favourite decades, from `attributes.year`."""
    rating_style: RatingStyle
    """How the user rates."""
    diversity: float
    """Normalised entropy of the categories of positively rated items (0 = one category)."""
    active_hours: list[int]
    """Hours of day (user's timezone) with the most activity, busiest first."""
    drift: Drift
    """Whether recent tastes moved away."""


class InsightsConfig(ComponentConfig):
    """How insights are summarised."""

    top: int = 10
    drift_threshold: float = 0.35
    """Divergence above which preferences are said to have drifted."""
    recent_share: float = 0.3
    """The newest share of a user's events compared against the rest for drift."""
    min_events_for_drift: int = 8


def build_insights(
    user: User,
    events: list[Event],
    items: dict[str, Item],
    signals: SignalWeights | None = None,
    config: InsightsConfig | None = None,
) -> Insights:
    """Summarise a user's history. `events` in time order; `items` by id."""
    signals = signals or SignalWeights()
    config = config or InsightsConfig()
    strengths = [(event, signals.strength(event)) for event in events]
    categories, tags, decades = _Tally(), _Tally(), _Tally()
    attributes: dict[str, _Tally] = {}
    for event, strength in strengths:
        item = items.get(event.item_id or "")
        if item is None or strength == 0:
            continue
        for value in item.categories:
            categories.add(value, strength)
        for value in item.tags:
            tags.add(value, strength)
        year = item.attributes.get("year")
        if isinstance(year, int | float) and year > 0:
            decades.add(f"{int(year) // 10 * 10}s", strength)
        for key in ATTRIBUTE_KEYS:
            found = item.attributes.get(key)
            values = found if isinstance(found, list) else [found] if found else []
            for member in values:
                if isinstance(member, str):
                    attributes.setdefault(key, _Tally()).add(member, strength)
    return Insights(
        user_id=user.id,
        interactions=len(events),
        positives=sum(1 for _, s in strengths if s > 0),
        negatives=sum(1 for _, s in strengths if s < 0),
        categories=categories.top(config.top),
        tags=tags.top(config.top),
        attributes={
            key: top for key, tally in sorted(attributes.items()) if (top := tally.top(config.top))
        },
        decades=decades.top(config.top),
        rating_style=_rating_style([e.value for e in events if e.type == "rate" and e.value]),
        diversity=_diversity(strengths, items),
        active_hours=_active_hours(events, user.timezone),
        drift=detect_drift(strengths, items, user, config),
    )


Weights = defaultdict[str, float]
"""Summed signal per label."""


def _strongest(weights: Weights, n: int) -> list[str]:
    """The `n` labels with the most weight; ties keep insertion order, as
    `Counter.most_common` does."""
    return [k for k, _ in sorted(weights.items(), key=lambda kv: -kv[1])[:n]]


class _Tally:
    def __init__(self) -> None:
        self.score: Weights = defaultdict(float)
        self.count: Counter[str] = Counter()

    def add(self, value: str, strength: float) -> None:
        self.score[value] += strength
        self.count[value] += 1

    def top(self, n: int) -> list[Share]:
        ranked = sorted(self.score.items(), key=lambda kv: (-kv[1], kv[0]))
        return [
            Share(value=v, score=round(s, 4), count=self.count[v]) for v, s in ranked[:n] if s > 0
        ]


def _rating_style(values: list[float]) -> RatingStyle:
    if len(values) < 3:
        return RatingStyle(count=len(values), mean=None, spread=None, style="unknown")
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    top = max(values)
    # Relative to the scale seen (MovieLens tops at 5): a mean of 3.75 of 5 is generous.
    scale = 5.0 if top <= 5 else 10.0 if top <= 10 else top
    ratio = mean / scale
    style = "generous" if ratio >= 0.75 else "harsh" if ratio < 0.55 else "balanced"
    return RatingStyle(count=len(values), mean=round(mean, 3), spread=round(spread, 3), style=style)


def _category_distribution(pairs: list[tuple[Event, float]], items: dict[str, Item]) -> Weights:
    found: Weights = defaultdict(float)
    for event, strength in pairs:
        item = items.get(event.item_id or "")
        if item is None or strength <= 0:
            continue
        for value in item.categories:
            found[value] += strength / max(len(item.categories), 1)
    return found


def _entropy(distribution: Weights) -> float:
    total = sum(distribution.values())
    if total <= 0 or len(distribution) < 2:
        return 0.0
    probabilities = [v / total for v in distribution.values() if v > 0]
    return -sum(p * math.log(p) for p in probabilities) / math.log(len(distribution))


def _diversity(pairs: list[tuple[Event, float]], items: dict[str, Item]) -> float:
    return round(_entropy(_category_distribution(pairs, items)), 4)


def _active_hours(events: list[Event], timezone: str) -> list[int]:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    hours = Counter(datetime.fromtimestamp(e.timestamp.timestamp(), zone).hour for e in events)
    return [hour for hour, _ in sorted(hours.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]


def _js_divergence(a: Weights, b: Weights) -> float:
    keys = set(a) | set(b)
    total_a, total_b = sum(a.values()), sum(b.values())
    if not keys or total_a <= 0 or total_b <= 0:
        return 0.0
    p = {k: a.get(k, 0) / total_a for k in keys}
    q = {k: b.get(k, 0) / total_b for k in keys}
    m = {k: (p[k] + q[k]) / 2 for k in keys}

    def kl(x: dict[str, float]) -> float:
        return sum(x[k] * math.log2(x[k] / m[k]) for k in keys if x[k] > 0)

    return (kl(p) + kl(q)) / 2


def detect_drift(
    pairs: list[tuple[Event, float]], items: dict[str, Item], user: User, config: InsightsConfig
) -> Drift:
    """Compare the categories of the newest events with the earlier ones (and the profile's
    stated interests, counted as one earlier positive each)."""
    if len(pairs) < config.min_events_for_drift:
        return Drift(detected=False, score=0.0, recent=[], earlier=[])
    cut = len(pairs) - max(1, round(config.recent_share * len(pairs)))
    recent = _category_distribution(pairs[cut:], items)
    earlier = _category_distribution(pairs[:cut], items)
    known = {c for item in items.values() for c in item.categories}
    for interest in user.profile.interests:
        if interest in known:
            earlier[interest] += 1.0
    score = _js_divergence(recent, earlier)
    return Drift(
        detected=score >= config.drift_threshold and bool(recent) and bool(earlier),
        score=round(score, 4),
        recent=_strongest(recent, 3),
        earlier=_strongest(earlier, 3),
    )
