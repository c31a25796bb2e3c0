"""What the business insights are asked: REST reads these from query strings, the CLI
derives its options from them, the library takes them as objects or keyword options."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import Field, model_validator

from rapport.core.models import Id, Label, Strict, Timestamp, TimeZone, utcnow
from rapport.core.requests import check_place


class InsightRequest(Strict):
    """The window and place every business insight shares."""

    at: Timestamp | None = None
    """The moment the insight is for (default now): events before it count, forecasts start
    on its local day."""
    days: int = Field(default=90, ge=1, le=3650)
    """How many days before `at` are read."""
    timezone: TimeZone | None = None
    """IANA time zone of hours, weekdays and days (default: the `[insights]` setting)."""
    kind: Label | None = None
    """Only items of this kind."""
    category: Label | None = None
    """Only items of this category."""
    area: Label | None = None
    """Only items of this area (a named area attribute, `cell:LAT,LON` or `online`)."""
    lat: float | None = Field(default=None, ge=-90, le=90)
    """Only items near this place (with `lon` and `radius_km`)."""
    lon: float | None = Field(default=None, ge=-180, le=180)
    """Longitude of the place (with `lat`)."""
    radius_km: float | None = Field(default=None, gt=0, le=20_000)
    """Distance from `lat`/`lon` (default 2 km when a place is given)."""

    @model_validator(mode="after")
    def _place_is_complete(self) -> Self:
        check_place(self.lat, self.lon, self.radius_km)
        return self

    def moment(self) -> datetime:
        return self.at or utcnow()


class DemandRequest(InsightRequest):
    """Demand grouped one way."""

    by: Literal["item", "category", "area", "kind", "hour", "weekday"] = "category"
    """What demand is grouped by (hours and weekdays in local time)."""
    top: int = Field(default=20, ge=1, le=1000)
    """How many groups, busiest first (hours and weekdays are all listed, in order)."""


class ForecastRequest(InsightRequest):
    """A daily forecast per category x area."""

    days: int = Field(default=180, ge=14, le=3650)
    """Days of history the forecast learns from."""
    horizon: int = Field(default=14, ge=1, le=90)
    """Days forecast, from the local day of `at`."""
    top: int = Field(default=20, ge=1, le=500)
    """How many series (the busiest category x area pairs)."""


class PricesRequest(InsightRequest):
    """Price suggestions for priced items."""

    item_ids: list[Id] = Field(default_factory=list, max_length=500)
    """Only these items (default: every priced item matching the filters)."""
    top: int = Field(default=50, ge=1, le=1000)
    """How many suggestions, largest change first."""


class PeaksRequest(InsightRequest):
    """Peak hours and the best slots for an event or promotion."""

    duration_hours: int = Field(default=2, ge=1, le=12)
    """Length of a slot."""
    top: int = Field(default=5, ge=1, le=50)
    """How many slots."""


class AudienceRequest(Strict):
    """Who to show an item to."""

    k: int = Field(default=20, ge=1, le=1000)
    """How many users."""
    at: Timestamp | None = None
    """The moment scores are for (default now); only events before it count."""
    include_engaged: bool = False
    """Also users who already interacted with the item (left out by default)."""

    def moment(self) -> datetime:
        return self.at or utcnow()
