"""Events: batch ingestion, idempotent by event id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from rapport.engine.schemas import ImportReport
from rapport.interfaces.api.deps import EngineDep, TenantDep, check_batch_size

router = APIRouter(prefix="/events", tags=["events"])

EXAMPLE = [
    {
        "id": "e1",
        "user_id": "u1",
        "item_id": "course-python-101",
        "type": "like",
        "timestamp": "2026-11-21T10:00:00Z",
    }
]


@router.post("")
def add_events(
    engine: EngineDep,
    tenant: TenantDep,
    records: list[dict[str, Any]] | dict[str, Any] = Body(examples=[EXAMPLE]),
    skip_invalid: bool = False,
) -> ImportReport:
    """Record one event or a list of them. Ids are idempotency keys: re-sending is
    harmless. Without `skip_invalid`, one bad record rejects the whole batch."""
    rows = [records] if isinstance(records, dict) else records
    check_batch_size(engine, rows)
    return engine.events.add(rows, tenant=tenant, skip_invalid=skip_invalid)
