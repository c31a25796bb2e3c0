"""Items: CRUD, batch upsert and similar items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, status

from rapport.core.models import Item, Page
from rapport.core.store.repository import ItemQuery
from rapport.interfaces.api.deps import EngineDep, TenantDep
from rapport.interfaces.api.schemas import (
    ImportReportOut,
    JsonRecords,
    SimilarItemOut,
    item_query,
)

router = APIRouter(prefix="/items", tags=["items"])
Filters = Annotated[ItemQuery, Depends(item_query)]


@router.get("")
def list_items(
    engine: EngineDep,
    tenant: TenantDep,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[Item]:
    """Items matching the filters, ordered by id."""
    return engine.list_items(filters, tenant=tenant, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_item(engine: EngineDep, tenant: TenantDep, item: Item) -> Item:
    """Create or replace one item; it is searchable when this returns."""
    engine.add_items([item], tenant=tenant)
    return engine.get_item(item.id, tenant=tenant)


@router.post("/batch")
def add_items(
    engine: EngineDep,
    tenant: TenantDep,
    records: JsonRecords,
    background: BackgroundTasks,
    skip_invalid: bool = False,
    defer_index: bool = False,
) -> ImportReportOut:
    """Create or replace many items at once. Without `skip_invalid`, one bad record rejects
    the whole batch. Items are embedded before the response, or after it with
    `defer_index` (faster to answer; similarity sees them a moment later)."""
    report = engine.add_items(
        records, tenant=tenant, skip_invalid=skip_invalid, index=not defer_index
    )
    if defer_index:
        background.add_task(engine.index_items, tenant=tenant)
    return ImportReportOut.model_validate(report.as_dict())


@router.get("/{item_id}")
def get_item(engine: EngineDep, tenant: TenantDep, item_id: str) -> Item:
    return engine.get_item(item_id, tenant=tenant)


@router.put("/{item_id}")
def replace_item(engine: EngineDep, tenant: TenantDep, item_id: str, item: Item) -> Item:
    """Replace one item; the id in the path must match the body."""
    if item.id != item_id:
        raise HTTPException(422, f"body id '{item.id}' does not match path id '{item_id}'")
    engine.get_item(item_id, tenant=tenant)
    engine.add_items([item], tenant=tenant)
    return engine.get_item(item_id, tenant=tenant)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(engine: EngineDep, tenant: TenantDep, item_id: str) -> None:
    engine.delete_item(item_id, tenant=tenant)


@router.get("/{item_id}/similar")
def similar_items(
    engine: EngineDep,
    tenant: TenantDep,
    item_id: str,
    filters: Filters,
    k: Annotated[int, Query(ge=1, le=200)] = 10,
) -> list[SimilarItemOut]:
    """Items nearest to this one by text embedding, optionally filtered."""
    hits = engine.similar_items(item_id, k, filters, tenant=tenant)
    return [SimilarItemOut(item=hit.item, score=hit.score) for hit in hits]
