"""API keys: create, list and revoke per-tenant keys (admin scope). A tenant's admin key
manages its own tenant's keys only; the configured admin key manages every tenant's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from rapport.engine.schemas import CreatedKey, KeyRecord, KeyRequest
from rapport.interfaces.api.deps import EngineDep, PrincipalDep

router = APIRouter(prefix="/keys", tags=["keys"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_key(engine: EngineDep, principal: PrincipalDep, body: KeyRequest) -> CreatedKey:
    """A new key for a tenant. The full key is in this response only; store it now."""
    if principal.tenant is not None and body.tenant != principal.tenant:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this key can only act on its own tenant")
    return engine.keys.create(body.tenant, body.scope, name=body.name)


@router.get("")
def list_keys(
    engine: EngineDep,
    principal: PrincipalDep,
    tenant: Annotated[str | None, Query(description="Only this tenant's keys.")] = None,
    revoked: Annotated[bool, Query(description="Include revoked keys.")] = False,
) -> list[KeyRecord]:
    """Keys without their secrets: of the caller's tenant, or (admin key) of every tenant
    or the one named."""
    if principal.tenant is not None:
        if tenant is not None and tenant != principal.tenant:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "this key can only act on its own tenant"
            )
        tenant = principal.tenant
    return engine.keys.list(tenant=tenant, revoked=revoked)


@router.delete("/{key_id}")
def revoke_key(engine: EngineDep, principal: PrincipalDep, key_id: str) -> KeyRecord:
    """Revoke a key: it is refused from the next request on. Another tenant's key is
    not found."""
    return engine.keys.revoke(key_id, tenant=principal.tenant)
