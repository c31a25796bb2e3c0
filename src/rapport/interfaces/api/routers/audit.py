"""The audit log of AI actions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from rapport.engine.schemas import AuditEntry, Page
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["audit"])

Action = Literal["answer", "assistant", "nudge", "escalation", "generation"]


@router.get("/audit")
def audit(
    engine: EngineDep,
    tenant: TenantDep,
    action: Action | None = None,
    user_id: Annotated[str | None, Query(description="Only entries about this user.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[AuditEntry]:
    """AI actions, newest first: model, prompt hash, output, hashed user id, time."""
    return engine.audit.list(
        action=action, user_id=user_id, tenant=tenant, limit=limit, offset=offset
    )
