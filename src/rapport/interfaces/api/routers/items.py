"""Items: CRUD, batch upsert and similar items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, status

from rapport.core.requests import ItemListRequest
from rapport.engine.schemas import ImportReport, Item, Page, SimilarItem, SimilarRequest
from rapport.interfaces.api.deps import EngineDep, JsonRecords, TenantDep

router = APIRouter(prefix="/items", tags=["items"])


@router.get("")
def list_items(
    engine: EngineDep, tenant: TenantDep, request: Annotated[ItemListRequest, Query()]
) -> Page[Item]:
    """A page of the items matching the filters, ordered by id."""
    return engine.items.list(request, tenant=tenant)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_item(engine: EngineDep, tenant: TenantDep, item: Item) -> Item:
    """Create or replace one item; it is searchable when this returns."""
    engine.items.add([item], tenant=tenant)
    return engine.items.get(item.id, tenant=tenant)


@router.post("/batch")
def add_items(
    engine: EngineDep,
    tenant: TenantDep,
    records: JsonRecords,
    background: BackgroundTasks,
    skip_invalid: bool = False,
    defer_index: bool = False,
) -> ImportReport:
    """Create or replace many items at once. Without `skip_invalid`, one bad record rejects
    the whole batch. Items are embedded before the response, or after it with
    `defer_index` (faster to answer; similarity sees them a moment later)."""
    report = engine.items.add(
        records, tenant=tenant, skip_invalid=skip_invalid, index=not defer_index
    )
    if defer_index:
        background.add_task(engine.items.index, tenant=tenant)
    return report


@router.get("/{item_id}")
def get_item(engine: EngineDep, tenant: TenantDep, item_id: str) -> Item:
    return engine.items.get(item_id, tenant=tenant)


@router.put("/{item_id}")
def replace_item(engine: EngineDep, tenant: TenantDep, item_id: str, item: Item) -> Item:
    """Replace an existing item; the id in the path must match the body."""
    return engine.items.replace(item_id, item, tenant=tenant)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(engine: EngineDep, tenant: TenantDep, item_id: str) -> None:
    engine.items.delete(item_id, tenant=tenant)


@router.get("/{item_id}/similar")
def similar_items(
    engine: EngineDep,
    tenant: TenantDep,
    item_id: str,
    request: Annotated[SimilarRequest, Query()],
) -> list[SimilarItem]:
    """Items nearest to this one by text embedding, optionally filtered."""
    return engine.items.similar(item_id, request, tenant=tenant)
