"""Request and response bodies that are not domain models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Query
from pydantic import BaseModel

from rapport.core.models import Item, Location, Timestamp
from rapport.core.store.repository import ItemQuery


class FieldErrorOut(BaseModel):
    record: str
    field: str
    message: str


class ImportReportOut(BaseModel):
    received: int
    written: int
    duplicates: int
    invalid: list[FieldErrorOut]


class SimilarItemOut(BaseModel):
    item: Item
    score: float


class DeletedOut(BaseModel):
    deleted: dict[str, int]


def item_query(
    kind: str | None = None,
    category: str | None = None,
    tag: str | None = None,
    at: Annotated[Timestamp | None, Query(description="Only items active at this time")] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0)] = None,
    min_price: Annotated[float | None, Query(ge=0)] = None,
    max_price: Annotated[float | None, Query(ge=0)] = None,
    include_inactive: bool = False,
) -> ItemQuery:
    """Item filters shared by listing, similarity and (later) recommendation routes."""
    if (lat is None) != (lon is None):
        raise HTTPException(422, "lat and lon must be given together")
    return ItemQuery(
        kind=kind,
        category=category,
        tag=tag,
        active_only=not include_inactive,
        active_at=at,
        near=Location(lat=lat, lon=lon) if lat is not None else None,
        radius_km=radius_km,
        min_price=min_price,
        max_price=max_price,
    )


JsonRecords = list[dict[str, Any]]
