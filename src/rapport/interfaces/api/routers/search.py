"""Natural-language item search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from rapport.core.models import Item, Location, Timestamp
from rapport.interfaces.api.deps import EngineDep, TenantDep
from rapport.services.search.items import SearchRequest
from rapport.services.search.query import ParsedQuery

router = APIRouter(tags=["search"])


class SearchHitOut(BaseModel):
    item_id: str
    score: float
    reasons: list[str]
    item: Item


class SearchOut(BaseModel):
    query: ParsedQuery
    """What was understood: filters read from the query and the text matched."""
    notes: list[str]
    hits: list[SearchHitOut]


@router.get("/search")
def search(
    engine: EngineDep,
    tenant: TenantDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    user_id: str | None = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    at: Timestamp | None = None,
    kind: str | None = None,
) -> SearchOut:
    """Search items in plain language: "vegan food offers near me tonight under 20". Price,
    place ("near me" uses `lat`/`lon` or the user's location), time and kind are read from
    the query; the rest is matched by hybrid retrieval, personalised with `user_id`."""
    place = Location(lat=lat, lon=lon) if lat is not None and lon is not None else None
    result = engine.search(
        SearchRequest(q=q, k=k, user_id=user_id, location=place, at=at, kind=kind), tenant=tenant
    )
    return SearchOut(
        query=result.query,
        notes=result.notes,
        hits=[
            SearchHitOut(item_id=h.item.id, score=h.score, reasons=h.reasons, item=h.item)
            for h in result.hits
        ],
    )
