"""Engage: scores per user, the nudges due at a moment, the user's context now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from rapport.engine.schemas import (
    ContextResult,
    ContextUpdate,
    DispatchReport,
    Nudge,
    UserScores,
)
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["engage"])

At = Annotated[
    str | None,
    Query(description="The moment judged: ISO 8601 or epoch seconds (default now)."),
]


@router.get("/users/{user_id}/scores")
def scores(engine: EngineDep, tenant: TenantDep, user_id: str, at: At = None) -> UserScores:
    """Engagement over the last 7 days, learning velocity and motivation (the trend of
    engagement), each with the features that drove it."""
    return engine.engage.scores(user_id, at, tenant=tenant)


@router.get("/nudges")
def nudges(
    engine: EngineDep,
    tenant: TenantDep,
    at: At = None,
    user_id: Annotated[str | None, Query(description="Only this user.")] = None,
) -> list[Nudge]:
    """The nudges due at `at`: trigger, priority, message, send time (the user's best hour,
    outside quiet hours) and channel; frequency caps and once-per-period applied."""
    return engine.engage.nudges(at, user_id, tenant=tenant)


@router.post("/nudges/dispatch")
def dispatch(engine: EngineDep, tenant: TenantDep, at: At = None) -> DispatchReport:
    """Queue the nudges and session reminders due at `at` in the outbox (once per user,
    trigger and period), cancel queued nudges that no longer hold, and deliver what is due:
    one pass of the delivery job."""
    return engine.engage.dispatch(at, tenant=tenant)


@router.post("/users/{user_id}/context")
def context(
    engine: EngineDep, tenant: TenantDep, user_id: str, update: ContextUpdate
) -> ContextResult:
    """Where the user is and what they are doing now; returns "something strong near you
    now" when such a nudge is due."""
    return engine.engage.update_context(user_id, update, tenant=tenant)
