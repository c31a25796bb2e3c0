"""Users: CRUD, batch upsert, their events and delete-my-data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from rapport.core.models import Event, Page, User
from rapport.interfaces.api.deps import EngineDep, TenantDep
from rapport.interfaces.api.schemas import DeletedOut, ImportReportOut, JsonRecords

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
def list_users(
    engine: EngineDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[User]:
    return engine.list_users(tenant=tenant, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_user(engine: EngineDep, tenant: TenantDep, user: User) -> User:
    """Create or replace one user."""
    engine.add_users([user], tenant=tenant)
    return engine.get_user(user.id, tenant=tenant)


@router.post("/batch")
def add_users(
    engine: EngineDep, tenant: TenantDep, records: JsonRecords, skip_invalid: bool = False
) -> ImportReportOut:
    """Create or replace many users; one bad record rejects the batch unless `skip_invalid`."""
    report = engine.add_users(records, tenant=tenant, skip_invalid=skip_invalid)
    return ImportReportOut.model_validate(report.as_dict())


@router.get("/{user_id}")
def get_user(engine: EngineDep, tenant: TenantDep, user_id: str) -> User:
    return engine.get_user(user_id, tenant=tenant)


@router.put("/{user_id}")
def replace_user(engine: EngineDep, tenant: TenantDep, user_id: str, user: User) -> User:
    if user.id != user_id:
        raise HTTPException(422, f"body id '{user.id}' does not match path id '{user_id}'")
    engine.get_user(user_id, tenant=tenant)
    engine.add_users([user], tenant=tenant)
    return engine.get_user(user_id, tenant=tenant)


@router.delete("/{user_id}")
def delete_user(engine: EngineDep, tenant: TenantDep, user_id: str) -> DeletedOut:
    """Delete the user, their events and vectors (delete-my-data)."""
    return DeletedOut(deleted=engine.delete_user(user_id, tenant=tenant))


@router.get("/{user_id}/events")
def user_events(
    engine: EngineDep,
    tenant: TenantDep,
    user_id: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Event]:
    """The user's most recent events, newest first."""
    engine.get_user(user_id, tenant=tenant)
    return engine.list_events(user_id=user_id, tenant=tenant, limit=limit)
