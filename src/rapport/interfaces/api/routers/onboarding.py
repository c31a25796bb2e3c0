"""Onboarding interviews: start, answer, resume."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from rapport.core.models import Strict
from rapport.engine.schemas import OnboardingState
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["onboarding"])


class AnswerBody(Strict):
    text: str = Field(min_length=1, max_length=4000)
    """The answer to the current question."""


@router.post("/users/{user_id}/onboarding")
def start(engine: EngineDep, tenant: TenantDep, user_id: str) -> OnboardingState:
    """Start an onboarding interview (the user is created when unknown): `session_id`,
    `step`, `total_steps` and the first `question`."""
    return engine.onboarding.start(user_id, tenant=tenant)


@router.post("/onboarding/{session_id}/answers")
def answer(
    engine: EngineDep, tenant: TenantDep, session_id: str, body: AnswerBody
) -> OnboardingState:
    """Answer the current question: the next `question`, or `done: true` with the saved
    `profile`, first `recommendations` with reasons and `next_steps`."""
    return engine.onboarding.answer(session_id, body.text, tenant=tenant)


@router.get("/onboarding/{session_id}")
def resume(engine: EngineDep, tenant: TenantDep, session_id: str) -> OnboardingState:
    """Where an interview stands: its current question, or its result once done."""
    return engine.onboarding.get(session_id, tenant=tenant)
