"""Crisis screening and the escalation queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from rapport.core.models import Strict
from rapport.engine.schemas import Escalation, EscalationStatus, Page, ScreenedText
from rapport.interfaces.api.deps import EngineDep, JsonRecords, TenantDep

router = APIRouter(tags=["safety"])


@router.post("/safety/screen")
def screen(engine: EngineDep, records: JsonRecords) -> list[ScreenedText]:
    """Screen `{"id", "text"}` records for crises; nothing is stored. One bad record
    rejects the batch."""
    return engine.safety.screen_many(records)


@router.get("/escalations")
def list_escalations(
    engine: EngineDep,
    tenant: TenantDep,
    status: EscalationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[Escalation]:
    """Crises waiting for (or handled by) a human, newest first."""
    return engine.escalations.list(status=status, limit=limit, offset=offset, tenant=tenant)


class Note(Strict):
    note: str = Field(default="", max_length=4000)
    """What was done, for the record."""


@router.post("/escalations/{escalation_id}/ack")
def ack(
    engine: EngineDep, tenant: TenantDep, escalation_id: str, body: Note | None = None
) -> Escalation:
    """A human has seen it and is on it."""
    return engine.escalations.ack(escalation_id, note=body.note if body else "", tenant=tenant)


@router.post("/escalations/{escalation_id}/resolve")
def resolve(
    engine: EngineDep, tenant: TenantDep, escalation_id: str, body: Note | None = None
) -> Escalation:
    """Done; a resolved escalation cannot change again (409)."""
    return engine.escalations.resolve(escalation_id, note=body.note if body else "", tenant=tenant)
