"""Settings of the business insights (`[insights]` section), with per-tenant overrides."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from rapport.core.components import ComponentConfig

DEMAND_WEIGHTS: dict[str, float] = {
    "purchase": 1.0,
    "enroll": 1.0,
    "rate": 1.0,
    "like": 0.5,
    "save": 0.5,
    "click": 0.1,
    "view": 0.05,
}
"""How much one event says someone wants the item: the positive signal weights of
`core/signals.py`, with a rating counting as one use whatever its value (a bad rating was
still a visit) and `complete` left out (it follows an enrolment already counted).
Dismissals and dislikes are not demand."""


class BusinessInsightsConfig(ComponentConfig):
    """Demand, forecast, prices, peaks and audiences: `[insights]` in the settings file;
    `tenants = {shop = {price_floor = 5}}` overrides fields for one tenant."""

    timezone: str = "UTC"
    """Time zone hours and weekdays are counted in (a request's `timezone` wins)."""
    demand_weights: dict[str, float] = Field(default_factory=lambda: dict(DEMAND_WEIGHTS))
    """Demand per event type; types not listed do not count."""
    area_attributes: tuple[str, ...] = ("area", "neighbourhood", "neighborhood", "district")
    """Item attributes naming an area, first found wins; items without one get the grid cell
    of their location, items without a location the area `online`."""
    area_cell_deg: float = Field(default=0.02, gt=0, le=10)
    """Grid cell size in degrees for items without a named area (0.02 deg is about 2 km)."""
    price_floor: float = Field(default=0.0, ge=0)
    """No suggested price goes below this."""
    category_floors: dict[str, float] = Field(default_factory=dict)
    """Higher floors for some categories."""
    max_change: float = Field(default=0.2, gt=0, le=1)
    """Largest relative change one suggestion makes."""
    min_band_views: int = Field(default=20, ge=1)
    """Views a price band needs before its conversion is trusted."""
    min_item_events: int = Field(default=10, ge=1)
    """Views and purchases an item needs for its trend to count."""
    fallback_sales: int = Field(default=50, ge=0)
    """The seed's rule, used only on thin data: more sales than this -> +10%, else -10%."""
    competition_km: float = Field(default=2.0, gt=0)
    """Radius for competing items (same category) around an item."""
    tenants: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-tenant overrides of the fields above."""

    @model_validator(mode="after")
    def _overrides_are_valid(self) -> BusinessInsightsConfig:
        # Checked when the settings load, not on the first request of that tenant.
        for tenant in self.tenants:
            self.for_tenant(tenant)
        return self

    def for_tenant(self, tenant: str) -> BusinessInsightsConfig:
        override = self.tenants.get(tenant)
        if not override:
            return self
        if "tenants" in override:
            raise ValueError(f"tenants.{tenant}: overrides cannot nest tenants")
        merged = {**self.model_dump(exclude={"tenants"}), **override}
        return BusinessInsightsConfig.model_validate(merged)

    def floor(self, categories: list[str]) -> float:
        return max([self.price_floor, *(self.category_floors.get(c, 0.0) for c in categories)])
