"""Natural-language item search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rapport.engine.schemas import SearchRequest, SearchResult
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["search"])


@router.get("/search")
def search(
    engine: EngineDep, tenant: TenantDep, request: Annotated[SearchRequest, Query()]
) -> SearchResult:
    """Search items in plain language: "vegan food offers near me tonight under 20". Price,
    place ("near me" uses `lat`/`lon` or the user's location), time and kind are read from
    the query; the rest is matched by hybrid retrieval, personalised with `user_id`."""
    return engine.search.items(request, tenant=tenant)
