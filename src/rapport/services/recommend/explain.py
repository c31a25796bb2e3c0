"""Short reasons for a recommendation, each built from a real signal."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from rapport.core.models import Item
from rapport.core.requests import RecommendRequest
from rapport.services.recommend.context import distances_km
from rapport.services.recommend.frame import ItemFrame
from rapport.services.recommend.user_state import UserState

LIKED_SIMILARITY = 0.5  # cosine above which "because you liked X" is said
INTEREST_SIMILARITY = 0.45
NEW_DAYS = 14


def _duration(seconds: float) -> str:
    hours = seconds / 3600
    if hours < 1:
        return f"{max(1, round(seconds / 60))} minutes"
    if hours < 48:
        value = round(hours)
        return f"{value} hour" + ("s" if value != 1 else "")
    return f"{round(hours / 24)} days"


def reasons_for(
    row: int,
    frame: ItemFrame,
    state: UserState,
    request: RecommendRequest,
    sources: set[str],
    interests: dict[str, np.ndarray],
    item: Item | None = None,
) -> list[str]:
    """Reasons for recommending frame row `row` (whose stored `item` the caller may have
    read already), most specific first (at most four)."""
    found: list[str] = []
    item = item if item is not None else frame.item(row)
    vector = frame.vectors[row] if frame.has_vector[row] else None
    # Because you liked X: the most similar of the user's recent positive items.
    if vector is not None and state.positives:
        anchors = [r for r in state.liked[:20] if frame.has_vector[r] and r != row]
        if anchors:
            similarity = frame.vectors[anchors] @ vector
            best = int(np.argmax(similarity))
            if similarity[best] >= LIKED_SIMILARITY:
                found.append(f"because you liked {frame.titles[anchors[best]]}")
    # Matches your interest in Y: a stated interest naming one of its labels or close in meaning.
    labels = {v.lower() for v in item.categories + item.tags}
    for interest, interest_vector in interests.items():
        if (
            interest.lower() in labels
            or interest.lower() in item.title.lower()
            or (vector is not None and float(interest_vector @ vector) >= INTEREST_SIMILARITY)
        ):
            found.append(f"matches your interest in {interest}")
            break
    now = request.moment().timestamp()
    place = request.location
    if place is not None and not np.isnan(frame.lat[row]):
        km = float(distances_km(frame, place, np.array([row]))[0])
        found.append(f"{km:.1f} km away" if km >= 0.1 else "right here")
    starts, ends = frame.starts[row], frame.ends[row]
    if not np.isnan(starts) and starts > now:
        found.append(f"starts in {_duration(starts - now)}")
    elif not np.isnan(ends) and ends > now and ends - now <= 7 * 86400:
        found.append(f"ends in {_duration(ends - now)}")
    original, price = frame.original_price[row], frame.price[row]
    if not np.isnan(original) and not np.isnan(price) and original > price > 0:
        found.append(f"{round(100 * (original - price) / original)}% off")
    if "collaborative" in sources:
        found.append("popular with people like you")
    elif "trending" in sources:
        found.append("trending now")
    created = item.created_at
    if created is not None and (datetime.now(UTC) - created).days < NEW_DAYS:
        found.append("new")
    if not found and "popularity" in sources:
        found.append("popular on the platform")
    return found[:4]
