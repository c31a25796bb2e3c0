"""Request-time context: filters (kind, labels, price, time, place) and context score terms."""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict

from rapport.core.models import Location
from rapport.core.requests import ItemFilter, RecommendRequest
from rapport.services.recommend.frame import LEVELS, NO_LEVEL, ItemFrame

EARTH_KM = 6371.0088
__all__ = ["LEVELS", "ContextWeights", "context_scores", "distances_km", "eligible", "selective"]


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


def distances_km(frame: ItemFrame, place: Location, rows: np.ndarray | None = None) -> np.ndarray:
    """Great-circle distance of each row (all rows, or `rows`); NaN without a place."""
    lat = frame.lat if rows is None else frame.lat[rows]
    lon = frame.lon if rows is None else frame.lon[rows]
    lat1, lon1 = math.radians(place.lat), math.radians(place.lon)
    lat2, lon2 = np.radians(lat), np.radians(lon)
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def selective(request: ItemFilter) -> bool:
    """Whether the request narrows items beyond availability (kind, labels, price, place,
    time window): such requests compute their allowed rows once instead of testing
    candidates as they come."""
    return bool(
        request.kind
        or request.categories
        or request.tags
        or request.min_price is not None
        or request.max_price is not None
        or request.radius_km is not None
        or request.active_now
    )


def eligible(
    frame: ItemFrame, request: RecommendRequest, rows: np.ndarray | None = None
) -> np.ndarray:
    """Which items pass every filter of the request: a mask over all rows, or over `rows`
    when given (the same tests on just those)."""

    def column(values: np.ndarray) -> np.ndarray:
        return values if rows is None else values[rows]

    now = request.moment().timestamp()
    mask = column(frame.alive).copy()
    if not request.include_inactive:
        mask &= column(frame.active)
    with np.errstate(invalid="ignore"):
        mask &= ~(column(frame.ends) < now)  # expired windows never show
        if request.active_now:
            mask &= ~(column(frame.starts) > now)
        if request.kind:
            code = frame.kind_codes.get(request.kind, -1)
            mask &= column(frame.kind_code) == code
        if request.min_price is not None:
            mask &= column(frame.price) >= request.min_price
        if request.max_price is not None:
            mask &= column(frame.price) <= request.max_price
        place = request.location
        if request.radius_km is not None and place is not None:
            # A bounding box first: the trigonometry runs only on rows inside it.
            dlat = math.degrees(request.radius_km / EARTH_KM)
            dlon = dlat / max(math.cos(math.radians(place.lat)), 1e-6)
            lat, lon = column(frame.lat), column(frame.lon)
            mask &= (np.abs(lat - place.lat) <= dlat) & (np.abs(lon - place.lon) <= dlon)
            inside = np.flatnonzero(mask)
            picked = inside if rows is None else rows[inside]
            mask[inside] = distances_km(frame, place, picked) <= request.radius_km
    for field_name, values in (("category", request.categories), ("tag", request.tags)):
        if values:
            labelled = np.concatenate([frame.label_rows(field_name, v) for v in values])
            if rows is None:
                any_of = np.zeros(len(frame), dtype=bool)
                any_of[labelled] = True
            else:
                any_of = np.isin(rows, labelled)
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
        km = distances_km(frame, place, rows)
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
        level = frame.level[rows].astype(np.int64)
        known = level != NO_LEVEL
        fits = known & ((level == user_level) | (level == user_level + 1))
        above = known & (level >= user_level + 2)
        bonus += weights.level_match * (fits.astype(float) - above.astype(float))
    return bonus
