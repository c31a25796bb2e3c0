"""Where and in what situation a user is now (seed 004: `POST /users/{id}/context`), and
the "something strong is near you now" nudge it can make due: the user's best
recommendation among events and offers on at that moment within `near_radius_km`."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import Field, model_validator

from rapport.core.models import JsonObject, Schema, Strict, Timestamp, User, utcnow
from rapport.core.requests import RecommendRequest
from rapport.core.store.repository import Store, haversine_km
from rapport.core.store.user_contexts import UserContext, UserContexts
from rapport.services.engage.config import EngageConfig
from rapport.services.engage.nudges import Held, Nudge, NudgePlanner
from rapport.services.engage.triggers import NearItem
from rapport.services.recommend.recommender import Recommender

CANDIDATES = 20
"""Recommendations looked at for one that has a time window (an event or offer on now)."""


class ContextUpdate(Strict):
    """Where the user is and what they are doing, as the platform sees it now."""

    lat: float | None = Field(default=None, ge=-90, le=90)
    """Latitude of where the user is."""
    lon: float | None = Field(default=None, ge=-180, le=180)
    """Longitude of where the user is."""
    context: JsonObject = Field(default_factory=dict)
    """Anything else: activity, device, company, weather..."""
    at: Timestamp | None = None
    """When this was observed (default now)."""

    @model_validator(mode="after")
    def _place_is_complete(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


class ContextResult(Schema):
    """The stored context and the nudge it made due, if any."""

    context: UserContext
    """What was stored."""
    nudge: Nudge | None = None
    """"Something strong near you now", when there is such an item and the user may get a
    nudge now (consent, quiet hours, caps, not already sent today for that item)."""
    held: list[Held] = Field(default_factory=list)
    """A near-now nudge that was due but held back, and why."""


class NearFinder:
    """The strong item near a reported place, from the recommender."""

    def __init__(self, recommender: Recommender) -> None:
        self.recommender = recommender

    def __call__(
        self, tenant: str, user: User, context: UserContext, at: datetime, config: EngageConfig
    ) -> NearItem | None:
        if context.lat is None or context.lon is None:
            return None
        request = RecommendRequest(
            lat=context.lat,
            lon=context.lon,
            radius_km=config.near_radius_km,
            active_now=True,
            at=at,
            k=CANDIDATES,
            diversity=0.0,
        )
        found = self.recommender.recommend(tenant, user.id, request)
        for rec in found.items:
            item = rec.item
            if item.starts_at is None and item.ends_at is None:
                continue  # always-there places are not "now"
            if rec.score < config.near_min_score:
                return None  # ranked best first: nothing further is strong enough
            distance = (
                haversine_km(context.lat, context.lon, item.location.lat, item.location.lon)
                if item.location
                else None
            )
            return NearItem(item=item, score=rec.score, distance_km=distance, reasons=rec.reasons)
        return None


class ContextService:
    def __init__(self, store: Store, planner: NudgePlanner) -> None:
        self.store = store
        self.contexts = UserContexts(store)
        self.planner = planner

    def update(self, tenant: str, user_id: str, update: ContextUpdate) -> ContextResult:
        self.store.get_user(tenant, user_id)  # 404 before anything is written
        at = update.at or utcnow()
        stored = UserContext(
            user_id=user_id, lat=update.lat, lon=update.lon, context=update.context, updated_at=at
        )
        self.contexts.set(tenant, stored)
        plan = self.planner.due(tenant, at, [user_id], only=["near_now"])
        return ContextResult(
            context=stored, nudge=plan.nudges[0] if plan.nudges else None, held=plan.held
        )
