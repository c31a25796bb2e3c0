"""Moderation: text checks, the injection screen and the review queue."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from rapport.core.models import Strict
from rapport.engine.schemas import (
    InjectionVerdict,
    ModerationEntry,
    ModerationResult,
    Page,
)
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["moderation"])


class TextBody(Strict):
    text: str = Field(min_length=1, max_length=20_000)
    """The text to check."""


@router.post("/moderation/check")
def check(engine: EngineDep, body: TextBody) -> ModerationResult:
    """Scores 0-1 for violence, adult, hate, illegal goods and spam, and whether the text
    would be held for review."""
    return engine.moderation.check(body.text)


@router.post("/moderation/injection")
def injection(engine: EngineDep, body: TextBody) -> InjectionVerdict:
    """Whether the text tries to instruct the assistant (prompt injection)."""
    return engine.moderation.injection(body.text)


@router.get("/moderation")
def list_queue(
    engine: EngineDep,
    tenant: TenantDep,
    status: Literal["pending", "approved", "rejected", "all"] = "pending",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[ModerationEntry]:
    """The review queue, oldest first."""
    chosen = None if status == "all" else status
    return engine.moderation.list(status=chosen, tenant=tenant, limit=limit, offset=offset)


@router.post("/moderation/{entry_id}/approve")
def approve(engine: EngineDep, tenant: TenantDep, entry_id: str) -> ModerationEntry:
    """Approve: the held item becomes active."""
    return engine.moderation.approve(entry_id, tenant=tenant)


@router.post("/moderation/{entry_id}/reject")
def reject(engine: EngineDep, tenant: TenantDep, entry_id: str) -> ModerationEntry:
    """Reject: the item stays stored and inactive."""
    return engine.moderation.reject(entry_id, tenant=tenant)
