"""The requests every interface sends, as the engine takes them: REST reads them from query
strings or bodies, the CLI derives its options from them, the library takes them as objects
or keyword options. `ItemFilter` is the one set of item filters that listing, similar items,
recommendations and search all accept, under the same names everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import Field, ValidationError, model_validator

from rapport.core.errors import FieldError, InvalidInput
from rapport.core.models import Id, Label, Location, Strict, Text, Timestamp, utcnow

MAX_OFFSET = 1_000_000_000
"""Deeper pages are refused: the databases cannot skip 2**63 rows, and no one pages that far."""
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
"""How many records a page skips, for every listing."""


def check_place(lat: float | None, lon: float | None, radius_km: float | None) -> None:
    """A place is `lat` and `lon` together; a radius needs a place."""
    if (lat is None) != (lon is None):
        raise ValueError("lat and lon must be given together")
    if radius_km is not None and lat is None:
        raise ValueError("radius_km needs a location (lat and lon)")


class ItemFilter(Strict):
    """Which items may be returned. Every field is optional; list fields match any value."""

    kind: Label | None = None
    """Only items of this kind (course, event, offer, movie...)."""
    categories: list[Label] = Field(default_factory=list)
    """Only items with at least one of these categories."""
    tags: list[Label] = Field(default_factory=list)
    """Only items with at least one of these tags."""
    min_price: float | None = Field(default=None, ge=0)
    """Only items costing at least this."""
    max_price: float | None = Field(default=None, ge=0)
    """Only items costing at most this."""
    lat: float | None = Field(default=None, ge=-90, le=90)
    """Where the user is (with `lon`): enables `radius_km`, and distance in scores and reasons."""
    lon: float | None = Field(default=None, ge=-180, le=180)
    """Longitude of where the user is (with `lat`)."""
    radius_km: float | None = Field(default=None, gt=0)
    """Only items within this distance of `lat`/`lon`."""
    at: Timestamp | None = None
    """The moment availability is judged at: items whose time window ended before it are left
    out. Recommendations and search default to now; listings apply it only when given."""
    active_now: bool = False
    """Only items whose time window contains `at` (offers and events on right now)."""
    include_inactive: bool = False
    """Also items marked inactive."""

    @model_validator(mode="after")
    def _place_is_complete(self) -> Self:
        check_place(self.lat, self.lon, self.radius_km)
        return self

    @property
    def location(self) -> Location | None:
        if self.lat is None or self.lon is None:
            return None
        return Location(lat=self.lat, lon=self.lon)

    def only(self) -> ItemFilter:
        """The filter part alone, whatever request it is embedded in."""
        return ItemFilter.model_validate(self.model_dump(include=set(ItemFilter.model_fields)))


class ItemListRequest(ItemFilter):
    """One page of the items matching the filter, ordered by id."""

    limit: int = Field(default=50, ge=1, le=500)
    """Items per page."""
    offset: Offset = 0
    """Items to skip."""


class SimilarRequest(ItemFilter):
    """How many similar items, and which may be returned."""

    k: int = Field(default=10, ge=1, le=200)
    """How many items."""


class RecommendRequest(ItemFilter):
    """What is asked for, and where and when the user is."""

    k: int = Field(default=10, ge=1, le=200)
    """How many items."""
    exclude_seen: bool = True
    """Leave out items the user already acted on strongly (rated, bought, liked, dismissed)."""
    diversity: float = Field(default=0.3, ge=0, le=1)
    """MMR trade-off: 0 ranks purely by score, 1 by novelty of category alone."""
    log_impressions: bool = False
    """Log the served list as impressions (for online metrics and A/B reports)."""

    def moment(self) -> datetime:
        return self.at or utcnow()


class SearchRequest(ItemFilter):
    """A plain-language query; the filter fields apply on top of what the query says."""

    q: Text = Field(min_length=1, max_length=500)
    """What the user typed: "vegan food offers near me tonight under 20"."""
    k: int = Field(default=10, ge=1, le=100)
    """How many items."""
    user_id: Id | None = None
    """Personalise with this user's tastes, timezone and (without `lat`/`lon`) place."""


class PageRequest(Strict):
    """One page of a listing (users, documents); items use `ItemListRequest`."""

    limit: int = Field(default=50, ge=1, le=500)
    """Records per page."""
    offset: Offset = 0
    """Records to skip."""


def page(limit: int, offset: int) -> PageRequest:
    """Checked paging for library calls: bad values raise `InvalidInput` naming the field."""
    try:
        return PageRequest(limit=limit, offset=offset)
    except ValidationError as exc:
        raise InvalidInput(
            [
                FieldError(record="request", field=str(e["loc"][0]), message=e["msg"])
                for e in exc.errors()
            ]
        ) from exc
