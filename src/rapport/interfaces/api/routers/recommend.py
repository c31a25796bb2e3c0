"""Recommendations (one user or a group) and preference insights."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from rapport.core.models import Item, Location, Timestamp
from rapport.interfaces.api.deps import EngineDep, TenantDep
from rapport.services.insights import Insights
from rapport.services.recommend.context import RecommendRequest
from rapport.services.recommend.recommender import Recommendation

router = APIRouter(tags=["recommendations"])


class RecommendationOut(BaseModel):
    item_id: str
    score: float
    reasons: list[str]
    sources: list[str]
    """Candidate sources that proposed the item (collaborative, content, neighbours...)."""
    item: Item


def _out(found: list[Recommendation]) -> list[RecommendationOut]:
    return [
        RecommendationOut(
            item_id=r.item.id, score=r.score, reasons=r.reasons, sources=r.sources, item=r.item
        )
        for r in found
    ]


def recommend_request(
    k: Annotated[int, Query(ge=1, le=200)] = 10,
    kind: str | None = None,
    category: Annotated[list[str] | None, Query(description="Any of these categories")] = None,
    tag: Annotated[list[str] | None, Query(description="Any of these tags")] = None,
    min_price: Annotated[float | None, Query(ge=0)] = None,
    max_price: Annotated[float | None, Query(ge=0)] = None,
    at: Annotated[Timestamp | None, Query(description="Moment of the request")] = None,
    active_now: bool = False,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0)] = None,
    exclude_seen: bool = True,
    diversity: Annotated[float, Query(ge=0, le=1)] = 0.3,
) -> RecommendRequest:
    place = Location(lat=lat, lon=lon) if lat is not None and lon is not None else None
    return RecommendRequest(
        k=k,
        kind=kind,
        categories=category or [],
        tags=tag or [],
        min_price=min_price,
        max_price=max_price,
        at=at,
        active_now=active_now,
        location=place,
        radius_km=radius_km,
        exclude_seen=exclude_seen,
        diversity=diversity,
    )


RequestDep = Annotated[RecommendRequest, Depends(recommend_request)]


@router.get("/users/{user_id}/recommendations")
def recommend(
    engine: EngineDep, tenant: TenantDep, user_id: str, request: RequestDep
) -> list[RecommendationOut]:
    """Items for this user, best first, each with reasons. Place (`lat`, `lon`,
    `radius_km`), time (`at`, `active_now`) and price filters narrow and re-rank the list."""
    return _out(engine.recommend(user_id, request, tenant=tenant))


class GroupRequest(BaseModel):
    user_ids: list[str] = Field(min_length=1, max_length=50)
    request: RecommendRequest = Field(default_factory=RecommendRequest)


@router.post("/recommendations/group")
def recommend_group(
    engine: EngineDep, tenant: TenantDep, body: GroupRequest
) -> list[RecommendationOut]:
    """One list for several users at once (a movie night, a team event)."""
    return _out(engine.recommend_group(body.user_ids, body.request, tenant=tenant))


@router.get("/users/{user_id}/insights")
def insights(engine: EngineDep, tenant: TenantDep, user_id: str) -> Insights:
    """Favourite categories, tags and attributes, rating style, diversity, active hours,
    and whether recent behaviour drifted from the profile."""
    return engine.insights(user_id, tenant=tenant)


@router.get("/model")
def model_info(engine: EngineDep, tenant: TenantDep) -> dict[str, Any]:
    """The current trained recommender: chosen settings, weights, validation scores."""
    manifest = engine.model_info(tenant=tenant)
    if manifest is None:
        raise HTTPException(404, "no trained model yet: POST /train")
    return manifest


@router.post("/train", status_code=202)
def train(engine: EngineDep, tenant: TenantDep, background: BackgroundTasks) -> dict[str, str]:
    """Retrain the recommender in the background; `GET /model` shows the new version."""
    background.add_task(engine.train, tenant=tenant)
    return {"status": "training started"}
