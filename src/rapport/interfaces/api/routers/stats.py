"""Counts per tenant."""

from __future__ import annotations

from fastapi import APIRouter

from rapport.engine.schemas import TenantStats
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["stats"])


@router.get("/stats")
def stats(engine: EngineDep, tenant: TenantDep) -> TenantStats:
    """Users, items per kind and events of the request's tenant."""
    return engine.stats(tenant=tenant)
