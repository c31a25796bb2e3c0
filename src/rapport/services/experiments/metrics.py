"""Online metrics from impressions and their attributed outcomes: CTR, CTR@k, save and
conversion rates and catalogue coverage, overall and per model version, source and
variant."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from rapport.core.models import Schema
from rapport.services.experiments.config import ExperimentsConfig
from rapport.services.experiments.impressions import Attributed


class RateStats(Schema):
    """What happened to one group of impressions."""

    impressions: int
    """Items shown."""
    users: int
    """Distinct users they were shown to."""
    items: int
    """Distinct items shown."""
    clicks: int
    """Impressions with an attributed click."""
    saves: int
    """Impressions with an attributed save."""
    conversions: int
    """Impressions with an attributed conversion (purchase, enroll...)."""
    ctr: float
    """clicks / impressions."""
    ctr_at_k: float
    """Clicks / impressions among those shown at rank k or better."""
    conversion_rate: float
    """conversions / impressions."""
    coverage: float
    """Distinct items shown / items in the catalogue."""


class OnlineMetrics(Schema):
    """Online metrics of a tenant over a time range."""

    since: datetime | None
    """Start of the range (None: from the first impression)."""
    until: datetime
    """End of the range."""
    k: int
    """The k of CTR@k."""
    attribution_hours: float
    """The attribution window."""
    catalogue_items: int
    """Items in the catalogue (the denominator of coverage)."""
    overall: RateStats
    """Every impression in the range."""
    by_model_version: dict[str, RateStats]
    """Per model version that served the list ("" for none: before training, popular)."""
    by_source: dict[str, RateStats]
    """Per candidate source that proposed the item (`imported` for impression events)."""
    by_variant: dict[str, RateStats]
    """Per `experiment/variant` ("none" outside experiments)."""


def rate_stats(
    entries: list[Attributed], k: int, catalogue: int, config: ExperimentsConfig
) -> RateStats:
    clicks = set(config.click_types)
    saves = set(config.save_types)
    conversions = set(config.conversion_types)
    top = [e for e in entries if e.shown.rank <= k]
    n = len(entries)
    distinct = len({e.shown.item_id for e in entries})
    clicked = sum(1 for e in entries if e.outcomes & clicks)
    converted = sum(1 for e in entries if e.outcomes & conversions)
    return RateStats(
        impressions=n,
        users=len({e.shown.user_id for e in entries}),
        items=distinct,
        clicks=clicked,
        saves=sum(1 for e in entries if e.outcomes & saves),
        conversions=converted,
        ctr=clicked / n if n else 0.0,
        ctr_at_k=sum(1 for e in top if e.outcomes & clicks) / len(top) if top else 0.0,
        conversion_rate=converted / n if n else 0.0,
        coverage=distinct / catalogue if catalogue else 0.0,
    )


def _grouped(
    entries: Iterable[Attributed], key: Callable[[Attributed], str]
) -> dict[str, list[Attributed]]:
    groups: dict[str, list[Attributed]] = {}
    for entry in entries:
        groups.setdefault(key(entry), []).append(entry)
    return dict(sorted(groups.items()))


def online_metrics(
    entries: list[Attributed],
    *,
    since: datetime | None,
    until: datetime,
    k: int,
    catalogue: int,
    config: ExperimentsConfig,
) -> OnlineMetrics:
    def stats(group: list[Attributed]) -> RateStats:
        return rate_stats(group, k, catalogue, config)

    def variant(entry: Attributed) -> str:
        shown = entry.shown
        return f"{shown.experiment}/{shown.variant}" if shown.experiment else "none"

    return OnlineMetrics(
        since=since,
        until=until,
        k=k,
        attribution_hours=config.attribution_hours,
        catalogue_items=catalogue,
        overall=stats(entries),
        by_model_version={
            key: stats(g) for key, g in _grouped(entries, lambda e: e.shown.model_version).items()
        },
        by_source={key: stats(g) for key, g in _grouped(entries, lambda e: e.shown.source).items()},
        by_variant={key: stats(g) for key, g in _grouped(entries, variant).items()},
    )
