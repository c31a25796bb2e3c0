"""Recommendations for one user or a group."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from rapport.core.models import Id, Strict
from rapport.engine.schemas import (
    GroupRecommendations,
    NextAction,
    Recommendations,
    RecommendRequest,
)
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["recommendations"])


@router.get("/users/{user_id}/recommendations")
def for_user(
    engine: EngineDep,
    tenant: TenantDep,
    user_id: str,
    request: Annotated[RecommendRequest, Query()],
) -> Recommendations:
    """Items for this user, best first, each with reasons. Place (`lat`, `lon`,
    `radius_km`), time (`at`, `active_now`), price and label filters narrow and re-rank."""
    return engine.recommendations.for_user(user_id, request, tenant=tenant)


class GroupRequest(Strict):
    user_ids: list[Id] = Field(min_length=1, max_length=50)
    """The members of the group."""
    request: RecommendRequest = Field(default_factory=RecommendRequest)
    """Filters, place, moment and size of the list, as for one user."""


@router.post("/recommendations/group")
def for_group(engine: EngineDep, tenant: TenantDep, body: GroupRequest) -> GroupRecommendations:
    """One list for several users at once (a movie night, a team event)."""
    return engine.recommendations.for_group(body.user_ids, body.request, tenant=tenant)


@router.get("/users/{user_id}/next")
def next_action(
    engine: EngineDep,
    tenant: TenantDep,
    user_id: str,
    k: Annotated[int, Query(ge=1, le=100, description="How many items and categories.")] = 5,
    at: Annotated[
        str | None, Query(description="The moment (default now): history until then counts.")
    ] = None,
) -> NextAction:
    """The user's likely next items and categories, with probabilities (the sequence model
    when it serves, transition counts otherwise)."""
    return engine.recommendations.next(user_id, k, at, tenant=tenant)
