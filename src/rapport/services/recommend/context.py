"""Request-time context: filters (kind, labels, price, time, place) and context score terms."""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict

from rapport.core.models import Location
from rapport.core.requests import RecommendRequest
from rapport.services.recommend.frame import ItemFrame

EARTH_KM = 6371.0088
LEVELS = {"beginner": 0, "intermediate": 1, "advanced": 2, "expert": 3}


class ContextWeights(BaseModel):
    """How much place, time and price move an item up, on top of personal relevance
    (which is scaled to [0, 1] per request)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    distance: float = 0.3
    """Bonus at distance 0, decaying with `distance_scale_km`."""
    distance_scale_km: float = 2.0
    soon: float = 0.15
    """Bonus for items starting or ending within `soon_hours`."""
    soon_hours: float = 24.0
    discount: float = 0.2
    """Bonus per unit of discount share ((original - price) / original)."""
    level_match: float = 0.15
    """Bonus when an item's difficulty matches the user's level; the same as a penalty
    when it is two or more levels above."""


def distances_km(frame: ItemFrame, place: Location) -> np.ndarray:
    lat1, lon1 = math.radians(place.lat), math.radians(place.lon)
    lat2, lon2 = np.radians(frame.lat), np.radians(frame.lon)
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))  # NaN without a place


def eligible(frame: ItemFrame, request: RecommendRequest) -> np.ndarray:
    """Boolean mask of items that pass every filter of the request."""
    now = request.moment().timestamp()
    mask = np.ones(len(frame), dtype=bool) if request.include_inactive else frame.active.copy()
    with np.errstate(invalid="ignore"):
        mask &= ~(frame.ends < now)  # expired windows never show
        if request.active_now:
            mask &= ~(frame.starts > now)
        if request.kind:
            mask &= frame.kind == request.kind
        if request.min_price is not None:
            mask &= frame.price >= request.min_price
        if request.max_price is not None:
            mask &= frame.price <= request.max_price
        place = request.location
        if request.radius_km is not None and place is not None:
            mask &= distances_km(frame, place) <= request.radius_km
    for field_name, values in (("category", request.categories), ("tag", request.tags)):
        if values:
            any_of = np.zeros(len(frame), dtype=bool)
            for value in values:
                any_of |= frame.with_label(field_name, value)
            mask &= any_of
    return mask


def context_scores(
    frame: ItemFrame,
    rows: np.ndarray,
    request: RecommendRequest,
    weights: ContextWeights,
    user_level: int | None,
) -> np.ndarray:
    """Additive bonus per candidate row from place, time, price and level."""
    bonus = np.zeros(len(rows))
    now = request.moment().timestamp()
    place = request.location
    if place is not None:
        km = distances_km(frame, place)[rows]
        bonus += np.nan_to_num(weights.distance * np.exp(-km / weights.distance_scale_km))
    horizon = weights.soon_hours * 3600
    starts, ends = frame.starts[rows], frame.ends[rows]
    with np.errstate(invalid="ignore"):
        until = np.where(starts > now, starts - now, ends - now)
        bonus += np.nan_to_num(weights.soon * np.exp(-np.maximum(until, 0) / horizon))
        original, price = frame.original_price[rows], frame.price[rows]
        share = np.where(original > 0, (original - price) / original, 0.0)
        bonus += weights.discount * np.clip(np.nan_to_num(share), 0, 1)
    if user_level is not None:
        for i, row in enumerate(rows):
            level = LEVELS.get(str(frame.items[row].attributes.get("difficulty", "")).lower())
            if level is None:
                continue
            if level == user_level or level == user_level + 1:
                bonus[i] += weights.level_match
            elif level >= user_level + 2:
                bonus[i] -= weights.level_match
    return bonus
