"""The process assistant (seed 003): operations proposed from a chat message."""

from __future__ import annotations

from fastapi import APIRouter

from rapport.engine.schemas import ProcessOperations, ProcessRequest
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["process"])


@router.post("/assistant/process-operations")
def process_operations(
    engine: EngineDep, tenant: TenantDep, body: ProcessRequest, user_id: str | None = None
) -> ProcessOperations:
    """`complete_step`, `add_step`, `add_substep` or `update_step` proposals for the
    process; nothing changes until the caller applies them. `user_id` (optional) makes an
    opted-out user's request go to the rules only."""
    return engine.process.operations(body, user_id=user_id, tenant=tenant)
