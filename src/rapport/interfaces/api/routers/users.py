"""Users: CRUD, batch upsert, their events, insights, export and delete-my-data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from rapport.core.requests import MAX_OFFSET
from rapport.engine.schemas import Deleted, Event, ImportReport, Insights, Page, User, UserExport
from rapport.interfaces.api.deps import EngineDep, JsonRecords, TenantDep

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
def list_users(
    engine: EngineDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Page[User]:
    return engine.users.list(tenant=tenant, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_user(engine: EngineDep, tenant: TenantDep, user: User) -> User:
    """Create or replace one user."""
    engine.users.add([user], tenant=tenant)
    return engine.users.get(user.id, tenant=tenant)


@router.post("/batch")
def add_users(
    engine: EngineDep, tenant: TenantDep, records: JsonRecords, skip_invalid: bool = False
) -> ImportReport:
    """Create or replace many users; one bad record rejects the batch unless `skip_invalid`."""
    return engine.users.add(records, tenant=tenant, skip_invalid=skip_invalid)


@router.get("/{user_id}")
def get_user(engine: EngineDep, tenant: TenantDep, user_id: str) -> User:
    return engine.users.get(user_id, tenant=tenant)


@router.put("/{user_id}")
def replace_user(engine: EngineDep, tenant: TenantDep, user_id: str, user: User) -> User:
    """Replace an existing user; the id in the path must match the body."""
    return engine.users.replace(user_id, user, tenant=tenant)


@router.delete("/{user_id}")
def delete_user(engine: EngineDep, tenant: TenantDep, user_id: str) -> Deleted:
    """Erase the user and everything stored about them (delete-my-data)."""
    return engine.users.delete(user_id, tenant=tenant)


@router.get("/{user_id}/export")
def export_user(engine: EngineDep, tenant: TenantDep, user_id: str) -> UserExport:
    """Everything stored about the user: profile, events, interviews, conversations,
    generated content and escalations."""
    return engine.users.export(user_id, tenant=tenant)


@router.get("/{user_id}/events")
def user_events(
    engine: EngineDep,
    tenant: TenantDep,
    user_id: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Event]:
    """The user's most recent events, newest first."""
    return engine.events.list(user_id=user_id, tenant=tenant, limit=limit)


@router.get("/{user_id}/insights")
def insights(engine: EngineDep, tenant: TenantDep, user_id: str) -> Insights:
    """Favourite categories, tags and attributes, rating style, diversity, active hours,
    and whether recent behaviour drifted from the profile."""
    return engine.users.insights(user_id, tenant=tenant)
