"""`engine.insights`: what the events say to a business: demand, its forecast, prices, peak
times and audiences (per-user insights stay under `engine.users.insights`)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rapport.engine.services import Services, options
from rapport.services.insights.audience import Audience
from rapport.services.insights.config import BusinessInsightsConfig
from rapport.services.insights.data import Window, load_window
from rapport.services.insights.demand import Demand, demand
from rapport.services.insights.forecast import DemandForecast, forecast_demand
from rapport.services.insights.peaks import Peaks, peaks
from rapport.services.insights.prices import PriceSuggestions, suggest_prices
from rapport.services.insights.requests import (
    AudienceRequest,
    DemandRequest,
    ForecastRequest,
    InsightRequest,
    PeaksRequest,
    PricesRequest,
)


class InsightsArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def config(self, tenant: str | None = None) -> BusinessInsightsConfig:
        """The `[insights]` settings with the tenant's overrides."""
        return self._s.insights_config.for_tenant(self._s.tenant(tenant))

    def _window(self, request: InsightRequest, tenant: str | None) -> tuple[Window, str]:
        tenant = self._s.tenant(tenant)
        config = self.config(tenant)
        timezone = request.timezone or config.timezone
        window = load_window(
            self._s.store, tenant, request.moment(), request.days, ZoneInfo(timezone), config
        )
        return window, timezone

    def demand(
        self, request: DemandRequest | None = None, *, tenant: str | None = None, **values: Any
    ) -> Demand:
        """Weighted demand grouped by item, category, area, kind, local hour or weekday;
        `DemandRequest` fields as a request or keyword options."""
        request = options(DemandRequest, request, values)
        window, timezone = self._window(request, tenant)
        return demand(window, request, timezone)

    def forecast(
        self, request: ForecastRequest | None = None, *, tenant: str | None = None, **values: Any
    ) -> DemandForecast:
        """Daily demand per category x area for `horizon` days from the local day of `at`."""
        request = options(ForecastRequest, request, values)
        window, timezone = self._window(request, tenant)
        return forecast_demand(window, request, timezone)

    def prices(
        self, request: PricesRequest | None = None, *, tenant: str | None = None, **values: Any
    ) -> PriceSuggestions:
        """A suggested price per priced item, the rule that produced it and the reasons."""
        request = options(PricesRequest, request, values)
        window, _ = self._window(request, tenant)
        return suggest_prices(window, request)

    def peaks(
        self, request: PeaksRequest | None = None, *, tenant: str | None = None, **values: Any
    ) -> Peaks:
        """Peak hours and the best slots for an event or promotion near a place."""
        request = options(PeaksRequest, request, values)
        window, timezone = self._window(request, tenant)
        return peaks(window, request, timezone)

    def audience(
        self,
        item_id: str,
        request: AudienceRequest | None = None,
        *,
        tenant: str | None = None,
        **values: Any,
    ) -> Audience:
        """The users most likely to engage with an item, with reasons; users who already
        interacted with it are left out."""
        request = options(AudienceRequest, request, values)
        return self._s.audience.find(self._s.tenant(tenant), item_id, request)
