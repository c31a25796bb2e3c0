"""Counts per tenant."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["stats"])


@router.get("/stats")
def stats(engine: EngineDep, tenant: TenantDep) -> dict[str, Any]:
    """Users, items per kind and events of the request's tenant."""
    return (
        engine.stats(tenant=tenant)[tenant]
        if tenant in engine.store.tenants()
        else {"users": 0, "items": 0, "items_by_kind": {}, "events": 0}
    )
