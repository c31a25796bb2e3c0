"""Business insights: demand, its forecast, prices, peak times and audiences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rapport.engine.schemas import (
    Audience,
    AudienceRequest,
    Demand,
    DemandForecast,
    DemandRequest,
    ForecastRequest,
    Peaks,
    PeaksRequest,
    PricesRequest,
    PriceSuggestions,
)
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["insights"])


@router.get("/insights/demand")
def demand(
    engine: EngineDep, tenant: TenantDep, request: Annotated[DemandRequest, Query()]
) -> Demand:
    """Weighted demand over the `days` before `at`, grouped `by` item, category, area, kind,
    local hour or weekday; filters by kind, category, area or place."""
    return engine.insights.demand(request, tenant=tenant)


@router.get("/insights/forecast")
def forecast(
    engine: EngineDep, tenant: TenantDep, request: Annotated[ForecastRequest, Query()]
) -> DemandForecast:
    """Daily demand per category x area for `horizon` days from the local day of `at`."""
    return engine.insights.forecast(request, tenant=tenant)


@router.get("/insights/prices")
def prices(
    engine: EngineDep, tenant: TenantDep, request: Annotated[PricesRequest, Query()]
) -> PriceSuggestions:
    """A suggested price per priced item, with the rule that produced it and its reasons;
    never below the configured floor."""
    return engine.insights.prices(request, tenant=tenant)


@router.get("/insights/peaks")
def peaks(engine: EngineDep, tenant: TenantDep, request: Annotated[PeaksRequest, Query()]) -> Peaks:
    """Peak hours and the best slots (local time) for an event or promotion near a place
    (`lat`, `lon`, `radius_km`) or in an area."""
    return engine.insights.peaks(request, tenant=tenant)


@router.get("/items/{item_id}/audience")
def audience(
    engine: EngineDep,
    tenant: TenantDep,
    item_id: str,
    request: Annotated[AudienceRequest, Query()],
) -> Audience:
    """The `k` users most likely to engage with this item, with reasons (users who already
    interacted with it are left out)."""
    return engine.insights.audience(item_id, request, tenant=tenant)
